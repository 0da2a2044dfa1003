import { NotifyError } from '../notify/errors.ts';
import type { SlackRunView } from '../notify/slack-blocks.ts';
import type { GitHubReporter } from '../report/github-reporter.ts';
import type { ReportStep } from '../report/github-reporter.ts';
import type { RunStore, TargetRecord, TargetStore } from '../store/types.ts';
import type { RunOutcome } from '../workflow/contract.ts';
import { planTextKey, toReportView, toSlackView, type RunView } from './run-view.ts';

/** Slack as a run's feedback sees it: the bot (a message updated in place) or an incoming webhook. */
export interface SlackFeedback {
  /** Absent for an incoming webhook, which posts once at the end. */
  runStarted?(view: SlackRunView): Promise<void>;
  approvalRequested(view: SlackRunView): Promise<void>;
  runFinished(view: SlackRunView): Promise<void>;
}

/** The plan as its tool printed it, for one target of a run; undefined when there is none (or it cannot be verified). */
export type PlanTextSource = (target: TargetRecord) => Promise<string | undefined>;

export interface RunFeedbackDeps {
  store: Pick<RunStore, 'getRun'> & Pick<TargetStore, 'listTargets'>;
  github?: GitHubReporter | undefined;
  slack?: SlackFeedback | undefined;
  planText?: PlanTextSource | undefined;
  /** runLink() of a run. */
  link: (run: { runId: string; executionArn?: string | undefined }) => string;
  webUrl?: string | undefined;
  logger?: { warn(message: string, extra: Record<string, unknown>): void };
  now?: () => Date;
  /**
   * How long one channel may take at one moment (default FEEDBACK_DEADLINE_MS): a slow GitHub or
   * Slack must not time out the Lambda that tells them, which would fail a run or a target.
   */
  deadlineMs?: number;
}

/** Well inside the 30 s of Validate and RequestApproval, with their own work done first. */
export const FEEDBACK_DEADLINE_MS = 10_000;

/** How one channel fared at one moment of a run. */
export interface FeedbackResult {
  channel: 'github' | 'slack';
  ok: boolean;
  error?: string;
  /** False when trying again cannot help (a revoked token, a refused message). */
  retryable?: boolean;
}

/**
 * Tells people about a run as it moves, where they look: GitHub (commit statuses, the pull request's
 * sticky comment, a commit comment) and Slack. Each moment reads the run's records afresh, so what is
 * shown is what the table says. It never throws: a GitHub or Slack failure is a result (logged, and
 * at the end recorded on the run by Notify), never a failed run.
 */
export interface RunFeedback {
  /** Validate found targets: pending statuses; the pull request's comment and Slack say it started. */
  runStarted(runId: string): Promise<FeedbackResult[]>;
  /** A target waits for approval: say so at once, with what to do. */
  approvalRequested(runId: string): Promise<FeedbackResult[]>;
  /** The run ended (Notify); `channels` limits it to those (a retry of the ones that failed). */
  runFinished(
    runId: string,
    channels?: readonly FeedbackResult['channel'][],
    outcome?: RunOutcome,
  ): Promise<FeedbackResult[]>;
  /** The channels that are configured: where feedback goes at all. */
  readonly channels: readonly FeedbackResult['channel'][];
}

/** A comment holds 65,536 characters for every plan together: each one read is cut well below that. */
const PLAN_TEXT_BYTES = 60_000;
export { PLAN_TEXT_BYTES };

export function createRunFeedback(deps: RunFeedbackDeps): RunFeedback {
  const now = deps.now ?? (() => new Date());
  const deadlineMs = deps.deadlineMs ?? FEEDBACK_DEADLINE_MS;

  async function load(runId: string, withPlans: boolean, outcome?: RunOutcome): Promise<RunView | undefined> {
    const stored = await deps.store.getRun(runId);
    if (!stored) return undefined;
    // Record's outcome is the last word on how the run ended; the records add who approved and when.
    const run = outcome
      ? { ...stored, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}) }
      : stored;
    let targets = await deps.store.listTargets(runId);
    if (outcome && targets.length === 0) targets = outcome.targets.map((target) => fromOutcome(run, target));
    const planTexts = new Map<string, string>();
    if (withPlans && deps.planText && deps.github) {
      for (const target of targets) {
        if (!target.summary) continue;
        try {
          const text = await deps.planText(target);
          if (text !== undefined) planTexts.set(planTextKey(target), text);
        } catch (error) {
          deps.logger?.warn('could not read a plan text', {
            runId,
            target: planTextKey(target),
            error: message(error),
          });
        }
      }
    }
    return {
      run,
      targets,
      link: deps.link(run),
      planTexts,
      ...(deps.webUrl ? { webUrl: deps.webUrl } : {}),
    };
  }

  async function tell(
    runId: string,
    withPlans: boolean,
    github: ((reporter: GitHubReporter, view: RunView) => Promise<ReportStep[]>) | undefined,
    slack: ((channel: SlackFeedback, view: RunView) => Promise<void>) | undefined,
    only?: readonly FeedbackResult['channel'][],
    outcome?: RunOutcome,
  ): Promise<FeedbackResult[]> {
    if (only && !only.includes('github')) github = undefined;
    if (only && !only.includes('slack')) slack = undefined;
    let view: RunView | undefined;
    try {
      view = await load(runId, withPlans, outcome);
    } catch (error) {
      deps.logger?.warn('could not read the run to report it', { runId, error: message(error) });
      return [{ channel: 'github', ok: false, error: message(error) }];
    }
    if (!view) return [];
    const loaded = view;
    const results: FeedbackResult[] = [];
    await Promise.all([
      (async () => {
        if (!deps.github || !github) return;
        try {
          const steps = await withDeadline(github(deps.github, loaded), deadlineMs, 'GitHub');
          const failed = steps.filter((step) => !step.ok);
          for (const step of failed) deps.logger?.warn('GitHub feedback failed', { runId, ...step });
          results.push({
            channel: 'github',
            ok: failed.length === 0,
            ...(failed.length ? { error: failed.map(describeStep).join('; ') } : {}),
          });
        } catch (error) {
          results.push({ channel: 'github', ok: false, error: message(error) });
        }
      })(),
      (async () => {
        if (!deps.slack || !slack) return;
        try {
          await withDeadline(slack(deps.slack, loaded), deadlineMs, 'Slack');
          results.push({ channel: 'slack', ok: true });
        } catch (error) {
          deps.logger?.warn('Slack feedback failed', { runId, error: message(error) });
          results.push({
            channel: 'slack',
            ok: false,
            error: message(error),
            retryable: !(error instanceof NotifyError) || error.retryable,
          });
        }
      })(),
    ]);
    return results;
  }

  return {
    runStarted: (runId) =>
      tell(
        runId,
        false,
        (github, view) => github.runStarted(toReportView(view)),
        // A drift check is news only when it finds drift (runFinished): no message per check.
        async (slack, view) =>
          view.run.kind === 'drift' ? undefined : slack.runStarted?.(toSlackView(view, 'started', now())),
      ),
    approvalRequested: (runId) =>
      tell(
        runId,
        true,
        (github, view) => github.approvalRequested(toReportView(view)),
        (slack, view) => slack.approvalRequested(toSlackView(view, 'awaiting_approval', now())),
      ),
    runFinished: (runId, only, outcome) =>
      tell(
        runId,
        true,
        (github, view) => github.runFinished(toReportView(view)),
        async (slack, view) => {
          if (!driftWorthTelling(view)) return;
          await slack.runFinished(toSlackView(view, 'finished', now()));
        },
        only,
        outcome,
      ),
    channels: [...(deps.github ? (['github'] as const) : []), ...(deps.slack ? (['slack'] as const) : [])],
  };
}

/**
 * Whether Slack hears how a run ended: every run but a drift check, which is told only when a target
 * newly drifted (driftAlert: two checks of the same drift alert once, a clean check says nothing),
 * when it failed (a plan build that broke is worth a look), or when it asked for an approval in
 * Slack already (its message is closed with the outcome).
 */
export function driftWorthTelling(view: Pick<RunView, 'run' | 'targets'>): boolean {
  const { run, targets } = view;
  if (run.kind !== 'drift') return true;
  if (targets.some((target) => target.driftAlert === true)) return true;
  if (run.status === 'failed' || run.status === 'cancelled') return true;
  return Object.keys(run.slackMessages ?? {}).length > 0;
}

/** The promise's value, or a rejection once `ms` passed (the work itself goes on unobserved). */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NotifyError(`${what} did not answer within ${ms} ms`, { retryable: true })),
      ms,
    );
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function fromOutcome(
  run: { runId: string; repo: string; sha: string; createdAt: string; updatedAt: string },
  target: RunOutcome['targets'][number],
): TargetRecord {
  return {
    runId: run.runId,
    repo: run.repo,
    sha: run.sha,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...target,
  };
}

function describeStep(step: ReportStep): string {
  const record = step as unknown as Record<string, unknown>;
  return [record.step, record.target, record.error].filter((part) => typeof part === 'string').join(' ');
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
