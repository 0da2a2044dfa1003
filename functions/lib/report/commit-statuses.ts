import { isUrl } from '../console-url.ts';
import { FINAL_STATUSES, type Status } from '../status.ts';
import { MAX_STATUS_DESCRIPTION_CHARS, type CommitStatusInput, type CommitState } from '../git/git-host.ts';
import { isPlanOnly, shortSummary, type ReportTarget, type ReportView } from './report-view.ts';

/** Statuses that end a target badly, and the word a person reads for each. */
const FAILURES: Record<string, string> = {
  failed: 'failed',
  rejected: 'rejected',
  expired: 'approval expired',
  superseded: 'superseded',
  conflict: 'conflict',
  cancelled: 'cancelled',
};

/** Worst first: a folded status takes the state of its worst target. */
const SEVERITY: Record<CommitState, number> = { failure: 3, error: 2, pending: 1, success: 0 };

/** Final run statuses: a target status the reporter does not know is then an error, not pending forever. */
const isFinalRun = (status: string) => FINAL_STATUSES.has(status as Status);

interface TargetState {
  target: ReportTarget;
  state: CommitState;
  description: string;
}

/** The approval instruction that fits the run: a pull request comment, or the CLI (and Slack) for a push. */
export function approveHint(view: Pick<ReportView, 'pullRequest' | 'runId'>): string {
  return view.pullRequest !== undefined
    ? 'waiting for approval: comment /pushgate approve'
    : `waiting for approval: pushgate approve ${view.runId}`;
}

function stateOf(view: ReportView, target: ReportTarget): TargetState {
  const counts = target.summary ? shortSummary(target.summary) : undefined;
  const failure = FAILURES[target.status];
  if (failure !== undefined) {
    return { target, state: 'failure', description: `${failure}${target.reason ? `: ${oneLine(target.reason)}` : ''}` };
  }
  switch (target.status) {
    case 'no_changes':
      return { target, state: 'success', description: 'no changes' };
    case 'succeeded':
      return { target, state: 'success', description: counts ? `applied: ${counts}` : 'applied' };
    case 'skipped':
      return { target, state: 'success', description: `skipped${target.reason ? `: ${oneLine(target.reason)}` : ''}` };
    case 'planned':
      if (isPlanOnly(view) || isFinalRun(view.status)) {
        if (target.summary && !target.summary.hasChanges)
          return { target, state: 'success', description: 'no changes' };
        return { target, state: 'success', description: counts ? `plan: ${counts}` : 'planned' };
      }
      return { target, state: 'pending', description: counts ? `planned: ${counts}` : 'planned' };
    case 'awaiting_approval':
      return { target, state: 'pending', description: `${approveHint(view)}${counts ? ` (${counts})` : ''}` };
    case 'applying':
      return { target, state: 'pending', description: counts ? `applying: ${counts}` : 'applying' };
    case 'queued':
    case 'running':
      return { target, state: 'pending', description: 'planning' };
  }
  // A status this version does not know: pending while the run goes on, an error once it has ended.
  return isFinalRun(view.status)
    ? { target, state: 'error', description: `${target.status}${target.reason ? `: ${oneLine(target.reason)}` : ''}` }
    : { target, state: 'pending', description: target.status };
}

/**
 * One commit status per environment of the run, context `pushgate/<environment>`. Several projects
 * in one environment fold into one status: the worst state wins (failure, error, pending, success)
 * and its description; successes add their counts up. The link is the status' target URL when it
 * is a web address; locally it is a command, so it goes at the end of the description instead.
 */
export function statusesFor(view: ReportView): CommitStatusInput[] {
  const byEnvironment = new Map<string, TargetState[]>();
  for (const target of view.targets) {
    const states = byEnvironment.get(target.environment) ?? [];
    states.push(stateOf(view, target));
    byEnvironment.set(target.environment, states);
  }
  const statuses: CommitStatusInput[] = [];
  for (const [environment, states] of byEnvironment) {
    const worst = states.reduce((a, b) => (SEVERITY[b.state] > SEVERITY[a.state] ? b : a));
    let description: string;
    if (states.length === 1) description = worst.description;
    else if (worst.state === 'success') description = foldSuccesses(states);
    else {
      const same = states.filter((s) => s.state === worst.state).length;
      description = `${worst.target.project}: ${worst.description}${same > 1 ? ` (and ${same - 1} more)` : ''}`;
    }
    statuses.push({
      context: `pushgate/${environment}`,
      state: worst.state,
      ...withLink(description, view.link),
    });
  }
  return statuses;
}

function foldSuccesses(states: TargetState[]): string {
  const withSummary = states.filter((s) => s.target.summary?.hasChanges && s.target.status !== 'no_changes');
  if (withSummary.length === 0) {
    return states.every((s) => s.description === 'no changes') ? 'no changes' : states[0]!.description;
  }
  const total = { add: 0, change: 0, destroy: 0 };
  for (const { target } of withSummary) {
    total.add += target.summary!.add;
    total.change += target.summary!.change;
    total.destroy += target.summary!.destroy;
  }
  const verb = withSummary.some((s) => s.target.status === 'succeeded') ? 'applied' : 'plan';
  return `${verb}: +${total.add} ~${total.change} -${total.destroy} (${states.length} projects)`;
}

function withLink(description: string, link: string): { description: string; targetUrl?: string } {
  if (isUrl(link)) return { description: fit(description, MAX_STATUS_DESCRIPTION_CHARS), targetUrl: link };
  const suffix = ` · ${link}`;
  if (suffix.length >= MAX_STATUS_DESCRIPTION_CHARS / 2)
    return { description: fit(description, MAX_STATUS_DESCRIPTION_CHARS) };
  return { description: `${fit(description, MAX_STATUS_DESCRIPTION_CHARS - suffix.length)}${suffix}` };
}

function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
