import type { CommandInvoker } from '../commands/command-invoker.ts';
import type { CommandRequest } from '../commands/command-request.ts';
import { runLink } from '../console-url.ts';
import { runRecordInput } from '../run/run-record-input.ts';
import type { DeliveryStore, RunStore } from '../store/types.ts';
import type { RunRequest } from '../workflow/contract.ts';
import type { Workflow } from '../workflow/workflow.ts';
import { RepoNotAllowedError, UnavailableError, WebhookConfigError, WebhookError } from './errors.ts';
import { executionName } from './execution-name.ts';
import { githubHeaders } from './github-headers.ts';
import { isAllowedRepo } from './is-allowed-repo.ts';
import { newRunId as defaultRunId } from './new-run-id.ts';
import { parseEvent } from './parse-event.ts';
import { payloadText } from './payload-text.ts';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_WEBHOOK_PATHS, readRequest } from './read-request.ts';
import { routeEvent } from './route-event.ts';
import type { IntakeOutcome, IntakeRequest, IntakeResponse } from './types.ts';
import { verifySignature } from './verify-signature.ts';

/** The part of the store the intake writes: deliveries, and the run it starts. */
export type IntakeStore = DeliveryStore & Pick<RunStore, 'createRun' | 'setRunStatus'>;

/** Structural, so Powertools' Logger fits and tests can pass a recorder. */
export interface IntakeLogger {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export type SecretsSource = readonly (string | undefined)[] | (() => Promise<readonly (string | undefined)[]>);

export interface IntakeOptions {
  store: IntakeStore;
  workflow: Workflow;
  /** The webhook secret, then the previous one while a rotation is under way. */
  secrets: SecretsSource;
  /** `owner/name` or `owner/*` patterns. */
  allowedRepos: readonly string[];
  maxBodyBytes?: number;
  /**
   * Hands `/pushgate approve|reject|unlock|help|…` comments to the commands function. Without it
   * (COMMANDS_FUNCTION_NAME unset) such comments are answered 202 `{ ignored }` with the reason.
   */
  commands?: CommandInvoker;
  /** Where the hook is mounted (default DEFAULT_WEBHOOK_PATHS). */
  paths?: readonly string[];
  logger: IntakeLogger;
  now?: () => Date;
  newRunId?: () => string;
}

export type Intake = (request: IntakeRequest) => Promise<IntakeResponse>;

/**
 * The webhook intake, in the order that lets every check run on the least trusted data first:
 * method/path → size → headers → signature over the raw bytes → content type → parse → allowlist →
 * route → accept the delivery once → record the run → start the workflow. It answers within one
 * store write, one store put and one StartExecution; it never answers 5xx for bad input, and answers
 * 503 (run failed, delivery forgotten) when the store or Step Functions fails, so GitHub's
 * redelivery can retry.
 */
export function createIntake(options: IntakeOptions): Intake {
  const { store, workflow, allowedRepos, logger } = options;
  const now = options.now ?? (() => new Date());
  const newRunId = options.newRunId ?? defaultRunId;
  const readOptions = {
    paths: options.paths ?? DEFAULT_WEBHOOK_PATHS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };

  async function loadSecrets(): Promise<string[]> {
    let values: readonly (string | undefined)[];
    try {
      values = typeof options.secrets === 'function' ? await options.secrets() : options.secrets;
    } catch (error) {
      throw new UnavailableError('webhook secret unavailable', { cause: error });
    }
    // An empty key would make every signature forgeable.
    const secrets = values.filter((value): value is string => typeof value === 'string' && value !== '');
    if (secrets.length === 0) throw new WebhookConfigError('no webhook secret configured');
    return secrets;
  }

  return async function intake(request: IntakeRequest): Promise<IntakeResponse> {
    const context: { deliveryId?: string; event?: string; runId?: string } = {};
    const answer = (
      statusCode: number,
      body: Record<string, unknown>,
      outcome: IntakeOutcome,
      reason?: string,
    ): IntakeResponse => ({
      statusCode,
      body,
      outcome,
      ...context,
      ...(reason === undefined ? {} : { reason }),
    });

    try {
      const { headers, body } = readRequest(request, readOptions);
      const { event, deliveryId } = githubHeaders(headers);
      context.deliveryId = deliveryId;
      context.event = event;
      verifySignature(body, headers, await loadSecrets());
      const parsed = parseEvent(event, payloadText(headers['content-type'], body));

      const repo = parsed.payload.repository?.full_name;
      if (repo !== undefined && !isAllowedRepo(repo, allowedRepos)) throw new RepoNotAllowedError(repo);
      if (parsed.name === 'ping') return answer(200, { ok: true, zen: parsed.payload.zen ?? '' }, 'ping');

      const receivedAt = now();
      const route = routeEvent(parsed, { deliveryId, runId: newRunId(), receivedAt: receivedAt.toISOString() });
      if ('ignored' in route) return answer(202, { ignored: route.ignored }, 'ignored', route.ignored);
      if ('command' in route) return await handOver(route.command, receivedAt);
      return await start(route.request, receivedAt);
    } catch (error) {
      if (error instanceof WebhookError) {
        if (error.statusCode >= 500) logger.error(error.message, { ...context, error });
        const outcome = error.statusCode === 503 ? 'unavailable' : error.statusCode >= 500 ? 'error' : 'rejected';
        const response = answer(error.statusCode, { error: error.message }, outcome, error.message);
        if (error.statusCode === 405) response.headers = { allow: 'POST' };
        return response;
      }
      // Not ours: the message could say anything, so it goes to the log (never the body), not to GitHub.
      logger.error('unexpected error in webhook intake', { ...context, error });
      return answer(500, { error: 'internal error' }, 'error', 'unexpected error');
    }

    async function start(run: RunRequest, receivedAt: Date): Promise<IntakeResponse> {
      const name = executionName(run);
      const executionArn = workflow.executionArn(name);

      let accepted;
      try {
        accepted = await store.acceptDelivery(run.deliveryId, run.runId, receivedAt);
      } catch (error) {
        throw new UnavailableError('store unavailable; redeliver to retry', { cause: error });
      }
      if (!accepted.accepted) {
        context.runId = accepted.runId;
        return answer(200, { duplicate: true, runId: accepted.runId }, 'duplicate');
      }
      context.runId = run.runId;

      try {
        // With its ARN already: the name is deterministic, and a run whose start fails is marked failed.
        await store.createRun(runRecordInput(run, { executionArn }), receivedAt);
      } catch (error) {
        await forget(run);
        throw new UnavailableError('store unavailable; redeliver to retry', { cause: error });
      }

      let started;
      try {
        started = await workflow.start(run, name);
      } catch (error) {
        // The call can fail after Step Functions started the execution (a lost response): then it is ours.
        const existing = await workflow.runIdOf(executionArn).catch(() => undefined);
        if (existing === run.runId) {
          return answer(
            202,
            { runId: run.runId, executionArn, consoleUrl: runLink({ executionArn, runId: run.runId }) },
            'started',
          );
        }
        const reason = `the workflow did not start: ${error instanceof Error ? error.message : String(error)}`;
        try {
          await store.setRunStatus(run.runId, 'failed', { reason });
        } catch (markError) {
          logger.warn('could not mark the run failed', { ...context, error: markError });
        }
        await forget(run);
        throw new UnavailableError('could not start the workflow; redeliver to retry', { cause: error });
      }
      if (started.alreadyStarted) {
        logger.warn('execution already existed', { ...context, executionArn: started.executionArn });
        // An earlier attempt of this delivery started it under another run id (its answer was lost and
        // the delivery forgotten): that run is the one going on, and this record must not stay queued.
        if (started.runId !== undefined && started.runId !== run.runId) {
          try {
            await store.setRunStatus(run.runId, 'cancelled', { reason: `a duplicate of run ${started.runId}` });
          } catch (markError) {
            logger.warn('could not cancel the duplicate run', { ...context, error: markError });
          }
          context.runId = started.runId;
          return answer(200, { duplicate: true, runId: started.runId }, 'duplicate');
        }
      }
      return answer(
        202,
        {
          runId: run.runId,
          executionArn: started.executionArn,
          consoleUrl: runLink({ executionArn: started.executionArn, runId: run.runId }),
        },
        'started',
      );
    }

    /** A comment command: accepted once (a redelivery does nothing twice), then invoked without waiting. */
    async function handOver(command: CommandRequest, receivedAt: Date): Promise<IntakeResponse> {
      if (options.commands === undefined) {
        const reason = `/pushgate ${command.command} is not available: the commands function is not configured`;
        return answer(202, { ignored: reason }, 'ignored', reason);
      }
      let accepted;
      try {
        accepted = await store.acceptDelivery(command.deliveryId, command.commandId, receivedAt);
      } catch (error) {
        throw new UnavailableError('store unavailable; redeliver to retry', { cause: error });
      }
      if (!accepted.accepted) return answer(200, { duplicate: true, command: command.command }, 'duplicate');
      try {
        await options.commands.invoke(command);
      } catch (error) {
        try {
          await store.forgetDelivery(command.deliveryId, command.commandId);
        } catch (forgetError) {
          logger.error('could not forget the delivery; a redelivery will be taken as a duplicate', {
            ...context,
            error: forgetError,
          });
        }
        throw new UnavailableError('could not hand the command over; redeliver to retry', { cause: error });
      }
      return answer(202, { command: command.command, accepted: true }, 'command');
    }

    async function forget(run: RunRequest): Promise<void> {
      try {
        await store.forgetDelivery(run.deliveryId, run.runId);
      } catch (error) {
        // Left accepted, a redelivery is answered as a duplicate of a run that never started.
        logger.error('could not forget the delivery; a redelivery will be taken as a duplicate', { ...context, error });
      }
    }
  };
}
