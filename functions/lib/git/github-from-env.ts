import * as z from 'zod';
import { readEnv } from '../read-env.ts';
import { getConfiguredSecret } from '../secrets.ts';
import type { GitHost } from './git-host.ts';
import { createGitHubHost } from './github-host.ts';

/** GitHub as the function's environment names it: the token from SSM (or GITHUB_TOKEN locally), API and clone URLs. */
export async function gitHubFromEnv(): Promise<GitHost> {
  const env = readEnv({ GITHUB_API_URL: z.url().optional(), GITHUB_CLONE_URL: z.url().optional() });
  const token = await getConfiguredSecret({ valueEnv: 'GITHUB_TOKEN', parameterEnv: 'GITHUB_TOKEN_PARAMETER' });
  return createGitHubHost({
    ...(token === undefined ? {} : { token }),
    ...(env.GITHUB_API_URL === undefined ? {} : { baseUrl: env.GITHUB_API_URL }),
    ...(env.GITHUB_CLONE_URL === undefined ? {} : { cloneBaseUrl: env.GITHUB_CLONE_URL }),
  });
}
