import type { Logger } from '@aws-lambda-powertools/logger';
import { approvalGitHost } from '../lib/approval/approval-git-host.ts';
import { CommandRequest, type CommandResult } from '../lib/commands/command-request.ts';
import { runCommand, type RunCommandDeps } from '../lib/commands/run-command.ts';
import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { quietHandOver } from '../lib/locks/runtime-hand-over.ts';
import { readPolicy } from '../lib/policy/read-policy.ts';
import { createSfnTaskResumer } from '../lib/runtime/clients/sfn-task-resumer.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';

export type CommandsHandlerDeps = RunCommandDeps & { logger: Logger };

const defaultDeps = async (): Promise<CommandsHandlerDeps> => ({
  store: runtimeStore(),
  gitHost: approvalGitHost(await gitHubFromEnv(), { comments: true }),
  tasks: createSfnTaskResumer(),
  handOver: quietHandOver('commands'),
  policy: async () => (await readPolicy()).policy,
  logger: functionLogger('commands'),
});

/**
 * The commands function: a `/pushgate approve|reject|unlock|help|…` comment the webhook intake
 * handed over (Lambda Invoke, `Event`). A malformed event is logged and dropped (a retry would not
 * make it valid); a refusal is a reply on the pull request, not an error. The event's author and
 * command are checked against the comment GitHub has (runCommand): a mismatch is logged, no reply.
 */
export function createHandler(
  deps: () => Promise<CommandsHandlerDeps> = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<CommandResult | { error: string }>(
    'commands',
    async (event, step) => {
      const resolved = await deps();
      const parsed = CommandRequest.safeParse(event);
      if (!parsed.success) {
        resolved.logger.error('not a command request', { issues: parsed.error.issues.length });
        return { error: 'not a command request' };
      }
      const request = parsed.data;
      step.appendKeys({ deliveryId: request.deliveryId, commandId: request.commandId });
      const result = await runCommand(request, { metrics: step.metrics, ...resolved });
      const fields = { command: result.command, outcome: result.outcome, repo: request.repo };
      if (result.outcome === 'ignored') {
        // The event does not match the comment GitHub has: forged or stale. Refused without a reply.
        resolved.logger.warn('command refused: the event does not match the comment', {
          ...fields,
          commentId: request.commentId,
          reason: result.reason,
        });
      } else if (result.replyError !== undefined) {
        // Done, but the reply failed: not thrown, or Lambda's retry would carry the command out again.
        resolved.logger.error('command done, reply failed', { ...fields, replyError: result.replyError });
      } else {
        resolved.logger.info('command', fields);
      }
      return result;
    },
    observability,
  );
}

export const handler = createHandler();
