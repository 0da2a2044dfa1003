import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { InvalidConfigError } from '../lib/config/invalid-config-error.ts';
import type { GitHost } from '../lib/git/git-host.ts';
import { createGitHubHost } from '../lib/git/github-host.ts';
import { readEnv } from '../lib/read-env.ts';
import { createValidate, type ValidateDeps } from '../lib/run/validate.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { getConfiguredSecret } from '../lib/secrets.ts';
import { RunRequest, type ValidatedRun } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export interface ValidateHandlerDeps {
  store: ValidateDeps['store'];
  /** GitHub, reached with a token read per invocation (cached for minutes), so a rotated token is picked up. */
  gitHost: () => Promise<GitHost>;
  logger: Logger;
}

async function gitHubFromEnv(): Promise<GitHost> {
  const env = readEnv({ GITHUB_API_URL: z.url().optional(), GITHUB_CLONE_URL: z.url().optional() });
  const token = await getConfiguredSecret({ valueEnv: 'GITHUB_TOKEN', parameterEnv: 'GITHUB_TOKEN_PARAMETER' });
  return createGitHubHost({
    ...(token === undefined ? {} : { token }),
    ...(env.GITHUB_API_URL === undefined ? {} : { baseUrl: env.GITHUB_API_URL }),
    ...(env.GITHUB_CLONE_URL === undefined ? {} : { cloneBaseUrl: env.GITHUB_CLONE_URL }),
  });
}

const defaultDeps = (): ValidateHandlerDeps => ({
  store: runtimeStore(),
  gitHost: gitHubFromEnv,
  logger: functionLogger('validate'),
});

/**
 * Step Functions `Validate`: RunRequest → ValidatedRun (which becomes the execution's data). Errors
 * keep their names for the state's Retry (GitHostError) and Catch (InvalidConfigError, …).
 */
export function createHandler(deps: () => ValidateHandlerDeps = defaultDeps) {
  return async (event: unknown, context?: Context): Promise<ValidatedRun> => {
    const run = parseStepInput(RunRequest, event, 'Validate');
    const { store, gitHost, logger } = deps();
    if (context) logger.addContext(context);
    const validate = createValidate({ store, gitHost: await gitHost() });

    const keys = { runId: run.runId, deliveryId: run.deliveryId, repo: run.repo, sha: run.sha };
    try {
      const result = await validate(run);
      logger.info('validated', {
        ...keys,
        planOnly: result.settings.planOnly,
        targetCount: result.targetCount,
        waves: result.waves.length,
        skipped: result.skipped,
      });
      return result;
    } catch (error) {
      // A wrong pushgate.yml is the user's to fix, not an incident.
      if (error instanceof InvalidConfigError) logger.warn('invalid pushgate.yml', { ...keys, error: error.message });
      else logger.error('validate failed', { ...keys, error });
      throw error;
    }
  };
}

export const handler = createHandler();
