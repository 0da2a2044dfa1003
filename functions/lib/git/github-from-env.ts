import { createHash } from 'node:crypto';
import * as z from 'zod';
import { readEnv } from '../read-env.ts';
import { getConfiguredSecret, SecretConfigError } from '../secrets.ts';
import { createGitHubHost, type GitHubAppCredentials, type GitHubHost } from './github-host.ts';

/**
 * What a GitHub App secret holds (Secrets Manager, JSON). `appId` may be given as a number or a
 * string; `privateKey` is the PEM GitHub generated for the App.
 */
const AppSecret = z.object({
  appId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]),
  privateKey: z.string().includes('PRIVATE KEY'),
});

/**
 * Hosts built for an App, kept for the life of a warm Lambda: each holds its installation ids and
 * installation tokens (an hour each), so one token serves every invocation until it is about to expire.
 * Keyed by the credentials and the API, so a rotated key gets a new host.
 */
const appHosts = new Map<string, GitHubHost>();

/**
 * GitHub as the function's environment names it, with one of two identities:
 * - a GitHub App: `GITHUB_APP_SECRET` names a Secrets Manager secret (its name, ARN or
 *   `secretsmanager:<name>`) holding `{ "appId": …, "privateKey": "-----BEGIN …" }`; locally
 *   (`PUSHGATE_LOCAL=1`) `GITHUB_APP_ID` and `GITHUB_APP_PRIVATE_KEY` instead;
 * - else a token: `GITHUB_TOKEN_PARAMETER` (SSM or Secrets Manager), locally `GITHUB_TOKEN`.
 * `GITHUB_API_URL` and `GITHUB_CLONE_URL` point elsewhere than github.com (Enterprise, the local stack).
 * The caller gets the same interfaces either way.
 */
export async function gitHubFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<GitHubHost> {
  const urls = readEnv({ GITHUB_API_URL: z.url().optional(), GITHUB_CLONE_URL: z.url().optional() }, env);
  const common = {
    ...(urls.GITHUB_API_URL === undefined ? {} : { baseUrl: urls.GITHUB_API_URL }),
    ...(urls.GITHUB_CLONE_URL === undefined ? {} : { cloneBaseUrl: urls.GITHUB_CLONE_URL }),
  };
  const app = await appFromEnv(env);
  if (app) {
    const key = createHash('sha256')
      .update(`${app.appId}\n${app.privateKey}\n${common.baseUrl ?? ''}\n${common.cloneBaseUrl ?? ''}`)
      .digest('hex');
    let host = appHosts.get(key);
    if (!host) {
      host = createGitHubHost({ ...common, app });
      appHosts.set(key, host);
    }
    return host;
  }
  const token = await getConfiguredSecret({ valueEnv: 'GITHUB_TOKEN', parameterEnv: 'GITHUB_TOKEN_PARAMETER' }, env);
  return createGitHubHost({ ...common, ...(token === undefined ? {} : { token }) });
}

/** The App's credentials when the environment configures one; undefined for a token setup. */
export async function appFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<GitHubAppCredentials | undefined> {
  const localId = env.GITHUB_APP_ID;
  const localKey = env.GITHUB_APP_PRIVATE_KEY;
  if ((localId ?? '') !== '' || (localKey ?? '') !== '') {
    // getConfiguredSecret refuses a plain variable outside local mode, with the message to fix it.
    const privateKey = await getConfiguredSecret(
      { valueEnv: 'GITHUB_APP_PRIVATE_KEY', parameterEnv: 'GITHUB_APP_SECRET' },
      env,
    );
    return parseApp(
      { appId: localId, privateKey: privateKey?.replaceAll('\\n', '\n') },
      'GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY',
    );
  }
  const secret = env.GITHUB_APP_SECRET;
  if (secret === undefined || secret === '') return undefined;
  // The secret is in Secrets Manager whatever its id looks like (a bare name would otherwise mean SSM).
  const id =
    secret.startsWith('arn:aws:secretsmanager:') || secret.startsWith('secretsmanager:')
      ? secret
      : `secretsmanager:${secret}`;
  const text = await getConfiguredSecret(
    { valueEnv: 'PUSHGATE_UNUSED_GITHUB_APP_VALUE', parameterEnv: 'GITHUB_APP_SECRET' },
    { ...env, GITHUB_APP_SECRET: id, PUSHGATE_UNUSED_GITHUB_APP_VALUE: '' },
  );
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    // Never the text itself: it is a private key.
    throw new SecretConfigError(`GITHUB_APP_SECRET (${secret}) is not JSON: expected { "appId", "privateKey" }`);
  }
  return parseApp(json, `GITHUB_APP_SECRET (${secret})`);
}

function parseApp(value: unknown, source: string): GitHubAppCredentials {
  const parsed = AppSecret.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].join(', ');
    throw new SecretConfigError(`${source}: expected an appId and a PEM privateKey (check ${fields})`);
  }
  return { appId: parsed.data.appId, privateKey: parsed.data.privateKey };
}
