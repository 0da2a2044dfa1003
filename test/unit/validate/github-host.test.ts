import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHostError } from '../../../functions/lib/git/git-host-error.ts';
import { createGitHubHost } from '../../../functions/lib/git/github-host.ts';

/**
 * A loopback stand-in for the few GitHub REST routes the host calls, answering with GitHub-shaped
 * JSON (https://docs.github.com/en/rest): the transport is real HTTP through Octokit.
 */
const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const TOKEN = 'ghs_secret-token-never-logged';

interface Seen {
  method: string;
  path: string;
  accept: string | undefined;
  authorization: string | undefined;
}

let server: Server;
let baseUrl: string;
let seen: Seen[];
let compareFiles: { filename: string; status: string; previous_filename?: string }[];

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
) {
  response.writeHead(status, { 'content-type': contentType });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function route(request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = decodeURIComponent(url.pathname);
  seen.push({
    method: request.method ?? '',
    path: `${path}${url.search}`,
    accept: request.headers.accept,
    authorization: request.headers.authorization,
  });
  const notFound = () =>
    send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });

  if (path === '/repos/acme/infra/contents/pushgate.yml' && url.searchParams.get('ref') === HEAD) {
    return send(response, 200, 'version: 1\n', 'application/vnd.github.raw; charset=utf-8');
  }
  if (path === '/repos/acme/infra/contents/bytes.yml') {
    return send(response, 200, 'as bytes\n', 'application/vnd.github.raw');
  }
  if (path === '/repos/acme/infra/contents/infra') {
    return send(response, 200, [{ type: 'file', name: 'main.tf', path: 'infra/main.tf' }]);
  }
  if (path === '/repos/acme/broken/contents/pushgate.yml') {
    return send(response, 502, { message: 'Server Error' });
  }
  if (path === `/repos/acme/infra/compare/${BASE}...${HEAD}`) {
    return send(response, 200, {
      status: 'ahead',
      ahead_by: 1,
      behind_by: 0,
      total_commits: 1,
      commits: [{ sha: HEAD }],
      files: compareFiles,
    });
  }
  if (path === '/repos/acme/infra/pulls/7') {
    return send(response, 200, {
      number: 7,
      state: 'open',
      merged: false,
      head: { ref: 'feature/x', sha: HEAD, repo: { full_name: 'acme/infra' } },
      base: { ref: 'main', sha: BASE, repo: { full_name: 'acme/infra' } },
    });
  }
  if (path === '/repos/acme/infra/collaborators/octocat/permission') {
    return send(response, 200, { permission: 'write', role_name: 'maintain', user: { login: 'octocat' } });
  }
  if (path === '/repos/acme/infra/collaborators/stranger/permission') {
    return send(response, 404, { message: 'Not Found' });
  }
  if (path === '/repos/acme/infra/pulls/9') {
    return send(response, 200, {
      number: 9,
      state: 'open',
      merged: false,
      head: { ref: 'main', sha: HEAD, repo: { full_name: 'stranger/infra' } },
      base: { ref: 'main', sha: BASE, repo: { full_name: 'acme/infra' } },
    });
  }
  if (path === '/repos/acme/infra/pulls/10' || path === '/repos/acme/infra/pulls/11') {
    const merged = path.endsWith('/10');
    return send(response, 200, {
      number: merged ? 10 : 11,
      state: 'closed',
      merged,
      merged_at: merged ? '2025-01-01T00:00:00Z' : null,
      head: { ref: 'feature/old', sha: HEAD, repo: { full_name: 'acme/infra' } },
      base: { ref: 'main', sha: BASE, repo: { full_name: 'acme/infra' } },
    });
  }
  if (path === '/repos/acme/infra/commits/heads/main') return send(response, 200, { sha: HEAD, commit: {} });
  if (path === '/repos/acme/infra/commits/heads/missing') {
    return send(response, 422, { message: 'No commit found for SHA: heads/missing' });
  }
  return notFound();
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

beforeEach(() => {
  seen = [];
  compareFiles = [];
});

describe('createGitHubHost', () => {
  const host = () => createGitHubHost({ token: TOKEN, baseUrl });

  it('reads a file raw at a ref, with the token', async () => {
    expect(await host().getFile('acme/infra', 'pushgate.yml', HEAD)).toBe('version: 1\n');
    expect(seen).toEqual([
      {
        method: 'GET',
        path: `/repos/acme/infra/contents/pushgate.yml?ref=${HEAD}`,
        accept: 'application/vnd.github.v3.raw',
        authorization: `token ${TOKEN}`,
      },
    ]);
    expect(await host().getFile('acme/infra', 'bytes.yml', HEAD)).toBe('as bytes\n');
  });

  it('answers undefined for a file that is not there, and refuses a directory', async () => {
    expect(await host().getFile('acme/infra', 'pushgate.yml', BASE)).toBeUndefined();
    await expect(host().getFile('acme/infra', 'infra', HEAD)).rejects.toThrow(
      new GitHostError(`infra at ${HEAD} in acme/infra is not a file`),
    );
  });

  it('turns a GitHub failure into a GitHostError with its status and cause, never the token', async () => {
    const error = await host()
      .getFile('acme/broken', 'pushgate.yml', HEAD)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitHostError);
    expect(error).toMatchObject({
      name: 'GitHostError',
      status: 502,
      message: `could not read pushgate.yml at ${HEAD} from acme/broken: HTTP 502`,
    });
    expect((error as GitHostError).cause).toMatchObject({ status: 502 });
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(TOKEN);
  });

  it('lists changed files between two commits, both sides of a rename', async () => {
    compareFiles = [
      { filename: 'infra/network/main.tf', status: 'modified' },
      { filename: 'infra/app/template.yaml', status: 'renamed', previous_filename: 'infra/network/template.yaml' },
      { filename: 'infra/network/main.tf', status: 'modified' },
    ];
    expect(await host().changedFiles('acme/infra', BASE, HEAD)).toEqual([
      'infra/network/main.tf',
      'infra/app/template.yaml',
      'infra/network/template.yaml',
    ]);
    expect(seen.map((request) => request.path)).toEqual([`/repos/acme/infra/compare/${BASE}...${HEAD}?per_page=1`]);
  });

  it('answers undefined (everything changed) for a zero base, an unknown base or a truncated list', async () => {
    expect(await host().changedFiles('acme/infra', '0'.repeat(40), HEAD)).toBeUndefined();
    expect(seen).toEqual([]);
    expect(await host().changedFiles('acme/infra', 'c'.repeat(40), HEAD)).toBeUndefined();
    compareFiles = Array.from({ length: 300 }, (_, index) => ({ filename: `f${index}`, status: 'added' }));
    expect(await host().changedFiles('acme/infra', BASE, HEAD)).toBeUndefined();
    compareFiles = compareFiles.slice(1);
    expect(await host().changedFiles('acme/infra', BASE, HEAD)).toHaveLength(299);
  });

  it('resolves a pull request head and a branch to their commit', async () => {
    const github = host();
    expect(await github.resolveRef!('acme/infra', 'refs/pull/7/head')).toBe(HEAD);
    expect(await github.resolveRef!('acme/infra', 'refs/heads/main')).toBe(HEAD);
    expect(await github.resolveRef!('acme/infra', 'refs/pull/8/head')).toBeUndefined();
    expect(await github.resolveRef!('acme/infra', 'heads/missing')).toBeUndefined();
  });

  it('reads a pull request: head, base, state, whether it is merged and whether it comes from a fork', async () => {
    const github = host();
    expect(await github.getPullRequest('acme/infra', 7)).toEqual({
      number: 7,
      headSha: HEAD,
      headRef: 'feature/x',
      baseRef: 'main',
      baseSha: BASE,
      fromFork: false,
      state: 'open',
      merged: false,
    });
    expect(await github.getPullRequest('acme/infra', 9)).toMatchObject({ fromFork: true });
    expect(await github.getPullRequest('acme/infra', 10)).toMatchObject({ state: 'closed', merged: true });
    expect(await github.getPullRequest('acme/infra', 11)).toMatchObject({ state: 'closed', merged: false });
    expect(await github.getPullRequest('acme/infra', 8)).toBeUndefined();
  });

  it("reads a user's role on the repository; someone unknown has none", async () => {
    const github = host();
    expect(await github.getPermission('acme/infra', 'octocat')).toBe('maintain');
    expect(await github.getPermission('acme/infra', 'stranger')).toBe('none');
  });

  it('clones from github.com, or from the configured base', () => {
    expect(host().cloneUrl('acme/infra')).toBe('https://github.com/acme/infra.git');
    expect(createGitHubHost({ cloneBaseUrl: 'http://127.0.0.1:9/git/' }).cloneUrl('acme/infra')).toBe(
      'http://127.0.0.1:9/git/acme/infra.git',
    );
  });
});
