import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { InvalidConfigError } from '../lib/config/invalid-config-error.ts';
import type { GitHost, PullRequestComments } from '../lib/git/git-host.ts';
import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { PolicyError } from '../lib/policy/policy-error.ts';
import { readPolicy } from '../lib/policy/read-policy.ts';
import { readEnv } from '../lib/read-env.ts';
import { createValidate, type ValidateDeps } from '../lib/run/validate.ts';
import type { RunFeedback } from '../lib/feedback/run-feedback.ts';
import { runtimeFeedback } from '../lib/runtime/feedback.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability, type StepScope } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { stageRun, type StageStores } from '../lib/run/stage-run.ts';
import { runtimeBuildspecObjects, runtimeRunObjects } from '../lib/runtime/run-objects.ts';
import { RunRequest, type StagedRun } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export interface ValidateHandlerDeps {
  store: ValidateDeps['store'];
  policy: ValidateDeps['policy'];
  /** Lock lease of every run; default DEFAULT_LEASE_SECONDS (the local stack shortens it for tests). */
  leaseSeconds?: number;
  /** GitHub, reached with a token read per invocation (cached for minutes), so a rotated token is picked up. */
  gitHost: () => Promise<GitHost & Pick<PullRequestComments, 'createComment'>>;
  /** Tells GitHub and Slack that the run started (pending statuses, the pull request's comment). */
  feedback?: () => Promise<Pick<RunFeedback, 'runStarted'>>;
  /** Where the run's targets and buildspecs are stored: the state carries references to them. */
  objects: () => StageStores;
  logger: Logger;
}

function leaseFromEnv(): { leaseSeconds?: number } {
  const { PUSHGATE_LEASE_SECONDS } = readEnv({
    PUSHGATE_LEASE_SECONDS: z.union([z.literal(''), z.coerce.number().int().positive()]).optional(),
  });
  return typeof PUSHGATE_LEASE_SECONDS === 'number' ? { leaseSeconds: PUSHGATE_LEASE_SECONDS } : {};
}

const defaultDeps = (): ValidateHandlerDeps => ({
  store: runtimeStore(),
  policy: () => readPolicy(),
  ...leaseFromEnv(),
  gitHost: gitHubFromEnv,
  feedback: () => runtimeFeedback(functionLogger('validate')),
  objects: () => ({ chunks: runtimeRunObjects(), buildspecs: runtimeBuildspecObjects() }),
  logger: functionLogger('validate'),
});

/**
 * Step Functions `Validate`: RunRequest → StagedRun (which becomes the execution's data): the
 * ValidatedRun's targets are stored in the artifact bucket and the state keeps references. Errors
 * keep their names for the state's Retry (GitHostError) and Catch (InvalidConfigError, …).
 */
export function createHandler(
  deps: () => ValidateHandlerDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  // Validate logs its own failures, each with what it is (the user's pushgate.yml, the policy, a fault).
  return stepHandler<StagedRun>('validate', (event, step) => validateStep(event, step), {
    logErrors: false,
    ...observability,
  });

  async function validateStep(event: unknown, step: StepScope): Promise<StagedRun> {
    const run = parseStepInput(RunRequest, event, 'Validate');
    const { store, gitHost, logger, policy, leaseSeconds, feedback, objects } = deps();
    step.appendKeys({ runId: run.runId, deliveryId: run.deliveryId });
    const host = await gitHost();
    const validate = createValidate({
      store,
      gitHost: host,
      policy,
      // Tells whoever gave a `/pushgate plan|apply` without write access why nothing runs.
      reply: (repo, number, body) => host.createComment(repo, number, body),
      logger,
      ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
    });

    const keys = { runId: run.runId, deliveryId: run.deliveryId, repo: run.repo, sha: run.sha };
    try {
      const result = await stageRun(await validate(run), objects());
      logger.info('validated', {
        ...keys,
        planOnly: result.settings.planOnly,
        targetCount: result.targetCount,
        waves: result.waves.length,
        chunks: result.waves.reduce((sum, wave) => sum + wave.chunks.length, 0),
        skipped: result.skipped,
      });
      // Pending statuses at once, so branch protection shows pushgate working; never fails the run.
      if (result.targetCount > 0 && feedback) {
        try {
          await (await feedback()).runStarted(run.runId);
        } catch (error) {
          logger.warn('could not tell GitHub and Slack that the run started', { ...keys, error });
        }
      }
      return result;
    } catch (error) {
      // A wrong pushgate.yml is the user's to fix, not an incident.
      if (error instanceof InvalidConfigError) logger.warn('invalid pushgate.yml', { ...keys, error: error.message });
      else if (error instanceof PolicyError)
        logger.warn('platform policy refused the run', { ...keys, error: error.message });
      else logger.error('validate failed', { ...keys, error });
      throw error;
    }
  }
}

export const handler = createHandler();
