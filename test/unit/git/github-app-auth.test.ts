import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHostError } from '../../../functions/lib/git/git-host-error.ts';
import { gitHubFromEnv } from '../../../functions/lib/git/github-from-env.ts';
import { createGitHubHost } from '../../../functions/lib/git/github-host.ts';
import { SecretConfigError } from '../../../functions/lib/secrets.ts';
import { createLocalRepository, type LocalRepository } from '../../../local/git/local-repository.ts';
import { startGitHub, type LocalGitHub } from '../../../local/github/start-github.ts';

const APP_ID = 31337;
const BOT_TOKEN = 'ghs_not_used_by_the_app';

/**
 * pushgate as a GitHub App, against the local GitHub's App endpoints: the installation looked up
 * per owner with the App's JWT, one installation token per installation, reused for every call.
 */
describe('GitHub App authentication', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let repo: LocalRepository;
  let github: LocalGitHub;
  let sha: string;

  beforeAll(async () => {
    repo = await createLocalRepository(await mkdtemp(join(tmpdir(), 'pushgate-app-')));
    sha = await repo.commit({ 'pushgate.yml': 'version: 1\n' }, 'Initial commit');
    await repo.push('--quiet', 'origin', 'main');
    github = await startGitHub({
      repos: { 'acme/infra': repo.bare, 'acme/dns': repo.bare, 'globex/infra': repo.bare },
      token: BOT_TOKEN,
      app: { id: APP_ID, publicKeyPem },
    });
    github.addPullRequest('acme/infra', { number: 3, head: 'main', base: 'main' });
  });

  afterAll(async () => {
    await github?.stop();
    await repo?.cleanup();
  });

  it('one installation token serves every call on an owner; comments are edited in place as <slug>[bot]', async () => {
    const host = createGitHubHost({ app: { appId: APP_ID, privateKey }, baseUrl: github.url });
    const tokensBefore = github.installationTokensCreated;
    expect(await host.getDefaultBranch('acme/infra')).toBe('main');
    expect(await host.getFile('acme/infra', 'pushgate.yml', sha)).toBe('version: 1\n');
    await host.setCommitStatus('acme/infra', sha, {
      context: 'pushgate/prod',
      state: 'pending',
      description: 'planning',
    });
    const created = await host.upsertComment('acme/infra', 3, '<!-- m -->', '<!-- m --> one');
    const edited = await host.upsertComment('acme/infra', 3, '<!-- m -->', '<!-- m --> two');
    // Another repository of the same owner: the same installation, the same token.
    expect(await host.getDefaultBranch('acme/dns')).toBe('main');
    expect(github.installationTokensCreated - tokensBefore).toBe(1);

    expect(created.created).toBe(true);
    expect(edited).toEqual({ id: created.id, created: false });
    const comments = github.posted.comments.filter((c) => c.repo === 'acme/infra' && c.issueNumber === 3);
    expect(comments.map((c) => [c.user, c.body])).toEqual([['pushgate[bot]', '<!-- m --> two']]);

    // Another owner is another installation: its own token.
    expect(await host.getDefaultBranch('globex/infra')).toBe('main');
    expect(github.installationTokensCreated - tokensBefore).toBe(2);
  });

  it('a warm function reuses its App host across invocations: no new token per invocation', async () => {
    const env = {
      PUSHGATE_LOCAL: '1',
      GITHUB_API_URL: github.url,
      GITHUB_APP_ID: String(APP_ID),
      // As an environment variable holds a PEM: newlines escaped.
      GITHUB_APP_PRIVATE_KEY: privateKey.replaceAll('\n', '\\n'),
    };
    const tokensBefore = github.installationTokensCreated;
    const host = await gitHubFromEnv(env);
    expect(await host.getDefaultBranch('acme/infra')).toBe('main');
    const again = await gitHubFromEnv(env);
    expect(again).toBe(host);
    expect(await again.getDefaultBranch('acme/infra')).toBe('main');
    expect(github.installationTokensCreated - tokensBefore).toBe(1);
  });

  it('an owner without the App installed is a GitHostError that says so', async () => {
    const host = createGitHubHost({ app: { appId: APP_ID, privateKey }, baseUrl: github.url });
    const error = await host.getDefaultBranch('initech/infra').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHostError);
    expect((error as Error).message).toContain(`the GitHub App ${APP_ID} is not installed on initech`);
  });

  it('a key GitHub does not accept fails every call as a GitHostError, without the key in the message', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const host = createGitHubHost({ app: { appId: APP_ID, privateKey: other }, baseUrl: github.url });
    const error = await host.getDefaultBranch('acme/infra').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHostError);
    expect((error as GitHostError).status).toBe(401);
    expect((error as Error).message).not.toContain('PRIVATE KEY');
  });

  it('outside local mode the App key is never read from a plain variable; a malformed key is refused by name', async () => {
    await expect(gitHubFromEnv({ GITHUB_APP_ID: String(APP_ID), GITHUB_APP_PRIVATE_KEY: privateKey })).rejects.toThrow(
      SecretConfigError,
    );
    const malformed = await gitHubFromEnv({
      PUSHGATE_LOCAL: '1',
      GITHUB_APP_ID: 'not-a-number',
      GITHUB_APP_PRIVATE_KEY: 'secret-but-not-a-key',
    }).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(SecretConfigError);
    expect((malformed as Error).message).toContain('check appId, privateKey');
    expect((malformed as Error).message).not.toContain('secret-but-not-a-key');
  });

  it('without App settings the token is used as before', async () => {
    const host = await gitHubFromEnv({ PUSHGATE_LOCAL: '1', GITHUB_API_URL: github.url, GITHUB_TOKEN: BOT_TOKEN });
    const tokensBefore = github.installationTokensCreated;
    expect(await host.getDefaultBranch('acme/infra')).toBe('main');
    expect(github.installationTokensCreated).toBe(tokensBefore);
  });
});
