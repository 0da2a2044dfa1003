import type { RunOutcome } from '../workflow/contract.ts';
import { slackRunMessage, type SlackMessagePayload, type SlackRunView, type SlackTrigger } from './slack-blocks.ts';

const TRIGGERS: Record<RunOutcome['kind'], SlackTrigger> = {
  push: { kind: 'push' },
  plan: { kind: 'pull_request' },
  comment: { kind: 'comment' },
  drift: { kind: 'drift' },
  rollback: { kind: 'rollback' },
};

/**
 * The Slack view of a run's outcome as Record returns it (phase `finished`). What the outcome does not
 * carry (the commit's first line and author, the pull request number, approvals, start and end times,
 * plan digests) comes in `more`, or is left out of the message.
 */
export function slackRunView(outcome: RunOutcome, more: Partial<SlackRunView> = {}): SlackRunView {
  return {
    runId: outcome.runId,
    repo: outcome.repo,
    branch: outcome.branch,
    actor: outcome.actor,
    status: outcome.status,
    phase: 'finished',
    commit: { sha: outcome.sha },
    trigger: outcome.kind === 'rollback' ? { kind: 'rollback', toSha: outcome.sha } : TRIGGERS[outcome.kind],
    targets: outcome.targets.map((target) => ({ ...target })),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.consoleUrl ? { runLink: outcome.consoleUrl } : {}),
    ...more,
  };
}

/**
 * The Block Kit message for a finished run (slackRunMessage): the outcome in words, the repository,
 * branch and short commit, each target's status with its plan in Terraform's words, the reason when
 * there is one and a link to the execution (locally, the command that shows the run, as code). Every
 * text from the run is escaped, in the fallback `text` as in the blocks: a branch named `<!channel>`
 * must not ping a channel, and a reason must not become a mention or a link.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 */
export function slackMessage(outcome: RunOutcome): SlackMessagePayload {
  return slackRunMessage(slackRunView(outcome));
}
