import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { InvalidConfigError } from '../lib/config/invalid-config-error.ts';
import { createGitHubHost } from '../lib/git/github-host.ts';
import { readEnv } from '../lib/read-env.ts';
import { RunRequest } from '../lib/run-request.ts';
import { defaultStore } from '../lib/run/step-deps.ts';
import { parseStepInput } from '../lib/run/step-input.ts';
import { getConfiguredSecret } from '../lib/secrets.ts';
import { createValidate } from '../lib/targets/validate-run.ts';
import type { ValidatedRun } from '../lib/workflow-types.ts';

const logger = new Logger({ serviceName: 'pushgate-validate' });

/**
 * Step Functions `Validate`: RunRequest → ValidatedRun (which becomes the execution's data). Errors
 * keep their names for the state's Retry (GitHostError) and Catch (InvalidConfigError, …).
 */
export const handler = async (event: unknown, context?: Context): Promise<ValidatedRun> => {
  const run = parseStepInput(RunRequest, event, 'Validate');
  if (context) logger.addContext(context);
  const env = readEnv({ GITHUB_API_URL: z.url().optional(), GITHUB_CLONE_URL: z.url().optional() });
  // Read per invocation (cached for minutes by the secrets reader), so a rotated token is picked up.
  const token = await getConfiguredSecret({ valueEnv: 'GITHUB_TOKEN', parameterEnv: 'GITHUB_TOKEN_PARAMETER' });
  const gitHost = createGitHubHost({
    ...(token === undefined ? {} : { token }),
    ...(env.GITHUB_API_URL === undefined ? {} : { baseUrl: env.GITHUB_API_URL }),
    ...(env.GITHUB_CLONE_URL === undefined ? {} : { cloneBaseUrl: env.GITHUB_CLONE_URL }),
  });
  const validate = createValidate({ store: defaultStore(), gitHost });

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
