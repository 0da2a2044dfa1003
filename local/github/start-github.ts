import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { PushgateError } from '../../functions/lib/errors.ts';
import { checkHost } from '../aws/verify-request.ts';
import { BodyTooLargeError, listenOnLoopback, readBody, sendJson } from '../http/loopback-server.ts';
import { GitRepository } from './git-repository.ts';
import {
  commitJson,
  contentEntryJson,
  DOCS,
  fileJson,
  repoJson,
  stableId,
  userJson,
  wrappedBase64,
  type JsonContext,
} from './github-json.ts';

/** A collaborator's role; the permission endpoint reports it as admin / write / read / none. */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface StartGitHubOptions {
  /** `owner/name` → path of a bare repository. */
  repos: Record<string, string>;
  /** The only token accepted (`Authorization: token …` or `Bearer …`). */
  token: string;
  port?: number;
  /** Login → role on every repository; anyone else has `read`. */
  permissions?: Record<string, Permission>;
  /** Email → login, to link commit authors to users. */
  logins?: Record<string, string>;
  /** Who the token belongs to: the author of posted comments and statuses. Default `pushgate[bot]`. */
  botLogin?: string;
}

export interface PullRequestSpec {
  number: number;
  /** Head branch (in the same repository). */
  head: string;
  /** Base branch. */
  base: string;
  title?: string;
  body?: string;
  /** The author's login; default `octocat`. */
  user?: string;
  state?: 'open' | 'closed';
  draft?: boolean;
}

export interface PostedStatus {
  repo: string;
  sha: string;
  id: number;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
}

export interface CheckRunOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
}

/** A check run as it is now (PATCHes apply to it); `updates` counts the PATCHes. */
export interface PostedCheckRun {
  repo: string;
  id: number;
  name: string;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  details_url: string | null;
  external_id: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: CheckRunOutput;
  updates: number;
}

/** An issue or pull request comment as it is now (PATCHes apply to it). */
export interface PostedComment {
  repo: string;
  issueNumber: number;
  id: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface LocalGitHub {
  /** The API base URL: give it to Octokit as `baseUrl`. */
  url: string;
  /** Everything written through the API, for tests to read. */
  posted: { statuses: PostedStatus[]; checkRuns: PostedCheckRun[]; comments: PostedComment[] };
  addRepo(fullName: string, bareRepoPath: string): void;
  addPullRequest(repo: string, pullRequest: PullRequestSpec): void;
  setPermission(login: string, permission: Permission): void;
  /** While down, every request is answered 503, as during a GitHub outage. */
  setDown(down: boolean): void;
  /** The next `count` requests are answered 503. */
  failNext(count: number): void;
  stop(): Promise<void>;
}

/** An answer other than 2xx, with GitHub's error body. */
export class GitHubApiError extends PushgateError {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: { resource: string; field: string; code: string }[],
  ) {
    super(message);
  }
}

interface RouteInput {
  req: IncomingMessage;
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  repo: GitRepository;
  fullName: string;
  ctx: JsonContext;
}

type RouteAnswer =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; raw: Buffer | string; contentType: string };

interface Route {
  method: string;
  /** Matched against the path after `/repos/{owner}/{repo}`, segments already decoded. */
  pattern: RegExp;
  run(input: RouteInput): Promise<RouteAnswer>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const STATUS_STATES = new Set(['error', 'failure', 'pending', 'success']);
const CHECK_STATUSES = new Set(['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending']);
const PERMISSION_OF: Record<Permission, 'admin' | 'write' | 'read' | 'none'> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};
/** Files over 1 MB come without content (encoding `none`). https://docs.github.com/en/rest/repos/contents#get-repository-content */
const MAX_INLINE_CONTENT = 1024 * 1024;

/**
 * A subset of GitHub's REST API over local bare repositories: contents, compare, commits, statuses,
 * check runs, issue comments, pull requests and collaborator permissions, with GitHub's response
 * shapes and error bodies (401 Bad credentials, 404 Not Found, 422 Validation Failed).
 */
export async function startGitHub(options: StartGitHubOptions): Promise<LocalGitHub> {
  // GitHub matches owner and name case-insensitively and answers with the canonical spelling.
  const repos = new Map<string, { git: GitRepository; fullName: string }>();
  const addRepo = (fullName: string, path: string) =>
    void repos.set(fullName.toLowerCase(), { git: new GitRepository(resolve(path)), fullName });
  for (const [fullName, path] of Object.entries(options.repos)) addRepo(fullName, path);
  const pulls = new Map<string, PullRequestSpec>();
  const permissions = new Map(Object.entries(options.permissions ?? {}));
  const logins = options.logins ?? {};
  const botLogin = options.botLogin ?? 'pushgate[bot]';
  const posted: LocalGitHub['posted'] = { statuses: [], checkRuns: [], comments: [] };
  let nextId = 1000;
  let down = false;
  let failures = 0;
  let api = '';

  const bot = () => userJson(api, botLogin, botLogin.endsWith('[bot]') ? 'Bot' : 'User');
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  async function commitOrFail(repo: GitRepository, ref: string): Promise<string> {
    const sha = await repo.resolveCommit(ref);
    if (!sha) throw new GitHubApiError(422, `No commit found for SHA: ${ref}`);
    return sha;
  }

  function commentJson(ctx: JsonContext, comment: PostedComment) {
    const base = `${ctx.api}/repos/${comment.repo}`;
    return {
      id: comment.id,
      node_id: Buffer.from(`012:IssueComment${comment.id}`).toString('base64'),
      url: `${base}/issues/comments/${comment.id}`,
      html_url: `${ctx.api}/${comment.repo}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${base}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: userJson(ctx.api, comment.user, comment.user.endsWith('[bot]') ? 'Bot' : 'User'),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: 'NONE',
    };
  }

  function checkRunJson(ctx: JsonContext, run: PostedCheckRun) {
    const base = `${ctx.api}/repos/${run.repo}`;
    return {
      id: run.id,
      node_id: Buffer.from(`08:CheckRun${run.id}`).toString('base64'),
      head_sha: run.head_sha,
      external_id: run.external_id,
      url: `${base}/check-runs/${run.id}`,
      html_url: `${ctx.api}/${run.repo}/runs/${run.id}`,
      details_url: run.details_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: { ...run.output, annotations_count: 0, annotations_url: `${base}/check-runs/${run.id}/annotations` },
      name: run.name,
      check_suite: { id: stableId(`suite:${run.repo}:${run.head_sha}`) },
      app: { id: 1, slug: 'pushgate', name: 'pushgate', owner: userJson(ctx.api, ctx.owner) },
      pull_requests: [],
    };
  }

  async function pullJson(ctx: JsonContext, repo: GitRepository, fullName: string, spec: PullRequestSpec) {
    const [headSha, baseSha, defaultBranch] = await Promise.all([
      repo.resolveCommit(spec.head),
      repo.resolveCommit(spec.base),
      repo.defaultBranch(),
    ]);
    const repository = repoJson(ctx, defaultBranch, repo.path);
    const side = (ref: string, sha: string | undefined) => ({
      label: `${ctx.owner}:${ref}`,
      ref,
      sha: sha ?? null,
      user: userJson(ctx.api, ctx.owner),
      repo: repository,
    });
    const user = spec.user ?? 'octocat';
    const id = stableId(`pull:${fullName}#${spec.number}`);
    return {
      url: `${ctx.api}/repos/${fullName}/pulls/${spec.number}`,
      id,
      node_id: Buffer.from(`011:PullRequest${id}`).toString('base64'),
      html_url: `${ctx.api}/${fullName}/pull/${spec.number}`,
      number: spec.number,
      state: spec.state ?? 'open',
      locked: false,
      title: spec.title ?? `Pull request #${spec.number}`,
      user: userJson(ctx.api, user),
      body: spec.body ?? null,
      created_at: now(),
      updated_at: now(),
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      draft: spec.draft ?? false,
      head: side(spec.head, headSha),
      base: side(spec.base, baseSha),
      author_association: 'CONTRIBUTOR',
      merged: false,
      mergeable: true,
      mergeable_state: 'clean',
    };
  }

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^$/,
      run: async ({ repo, ctx }) => ({ status: 200, json: repoJson(ctx, await repo.defaultBranch(), repo.path) }),
    },
    {
      method: 'GET',
      pattern: /^\/contents(?:\/(.*))?$/,
      run: async ({ req, repo, ctx, params, query }) => {
        const path = (params[0] ?? '').replace(/^\/+|\/+$/g, '');
        const ref = query.get('ref') || (await repo.defaultBranch());
        const commit = await repo.resolveCommit(ref);
        if (!commit) throw new GitHubApiError(404, `No commit found for the ref ${ref}`);
        const entry = await repo.entry(commit, path);
        if (!entry) throw new GitHubApiError(404, 'Not Found');
        if (entry.type === 'tree') {
          const entries = await repo.list(commit, path);
          return { status: 200, json: entries.map((e) => contentEntryJson(ctx, e, ref)) };
        }
        if (entry.type === 'commit') return { status: 200, json: contentEntryJson(ctx, entry, ref) };
        const content = await repo.readBlob(entry.sha);
        if (/application\/vnd\.github(\.v3)?\.raw/.test(String(req.headers.accept ?? ''))) {
          return { status: 200, raw: content, contentType: 'application/vnd.github.raw; charset=utf-8' };
        }
        const inline = content.length <= MAX_INLINE_CONTENT;
        return {
          status: 200,
          json: {
            ...contentEntryJson(ctx, entry, ref),
            content: inline ? wrappedBase64(content) : '',
            encoding: inline ? 'base64' : 'none',
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/compare\/(.+)$/,
      run: async ({ repo, ctx, params, fullName }) => {
        const basehead = params[0]!;
        const separator = basehead.indexOf('...');
        if (separator === -1) throw new GitHubApiError(404, 'Not Found');
        const [baseRef, headRef] = [basehead.slice(0, separator), basehead.slice(separator + 3)];
        const [base, head] = await Promise.all([repo.resolveCommit(baseRef), repo.resolveCommit(headRef)]);
        if (!base || !head) throw new GitHubApiError(404, 'Not Found');
        const mergeBase = await repo.mergeBase(base, head);
        if (!mergeBase) throw new GitHubApiError(404, `No common ancestor between ${baseRef} and ${headRef}.`);
        const [aheadBy, behindBy, commits, files, baseCommit, mergeBaseCommit] = await Promise.all([
          repo.count(`${base}..${head}`),
          repo.count(`${head}..${base}`),
          repo.commitsBetween(base, head, 250),
          repo.diff(mergeBase, head),
          repo.commit(base),
          repo.commit(mergeBase),
        ]);
        const status =
          aheadBy === 0 && behindBy === 0
            ? 'identical'
            : behindBy === 0
              ? 'ahead'
              : aheadBy === 0
                ? 'behind'
                : 'diverged';
        const html = `${ctx.api}/${fullName}`;
        return {
          status: 200,
          json: {
            url: `${ctx.api}/repos/${fullName}/compare/${baseRef}...${headRef}`,
            html_url: `${html}/compare/${baseRef}...${headRef}`,
            permalink_url: `${html}/compare/${ctx.owner}:${base.slice(0, 7)}...${ctx.owner}:${head.slice(0, 7)}`,
            diff_url: `${html}/compare/${baseRef}...${headRef}.diff`,
            patch_url: `${html}/compare/${baseRef}...${headRef}.patch`,
            base_commit: commitJson(ctx, baseCommit),
            merge_base_commit: commitJson(ctx, mergeBaseCommit),
            status,
            ahead_by: aheadBy,
            behind_by: behindBy,
            total_commits: aheadBy,
            commits: commits.map((c) => commitJson(ctx, c)),
            files: files.slice(0, 300).map((f) => fileJson(ctx, f, head)),
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/commits\/(.+?)\/statuses$/,
      run: async ({ repo, ctx, params, fullName }) => {
        const sha = await commitOrFail(repo, params[0]!);
        const statuses = posted.statuses.filter((s) => s.repo === fullName && s.sha === sha).reverse();
        return { status: 200, json: statuses.map((s) => statusJson(ctx, s, bot())) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/commits\/(.+)$/,
      run: async ({ req, repo, ctx, params }) => {
        const sha = await commitOrFail(repo, params[0]!);
        // The `sha` media type answers just the commit id: the cheap way to resolve a ref.
        if (/application\/vnd\.github(\.v3)?\.sha/.test(String(req.headers.accept ?? ''))) {
          return { status: 200, raw: sha, contentType: 'application/vnd.github.sha; charset=utf-8' };
        }
        const commit = await repo.commit(sha);
        const files = await repo.diff(commit.parents[0], sha);
        const additions = files.reduce((n, f) => n + f.additions, 0);
        const deletions = files.reduce((n, f) => n + f.deletions, 0);
        return {
          status: 200,
          json: {
            ...commitJson(ctx, commit),
            stats: { total: additions + deletions, additions, deletions },
            files: files.slice(0, 300).map((f) => fileJson(ctx, f, sha)),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/statuses\/(.+)$/,
      run: async ({ repo, ctx, params, body, fullName }) => {
        const state = body.state;
        if (typeof state !== 'string' || !STATUS_STATES.has(state)) {
          throw new GitHubApiError(422, 'Validation Failed', [{ resource: 'Status', field: 'state', code: 'custom' }]);
        }
        const sha = await commitOrFail(repo, params[0]!);
        const status: PostedStatus = {
          repo: fullName,
          sha,
          id: nextId++,
          state: state as PostedStatus['state'],
          context: optionalString(body.context) ?? 'default',
          description: optionalString(body.description) ?? null,
          target_url: optionalString(body.target_url) ?? null,
          created_at: now(),
        };
        posted.statuses.push(status);
        return { status: 201, json: statusJson(ctx, status, bot()) };
      },
    },
    {
      method: 'POST',
      pattern: /^\/check-runs$/,
      run: async ({ repo, ctx, body, fullName }) => {
        if (typeof body.name !== 'string' || body.name === '') throw missingField('CheckRun', 'name');
        if (typeof body.head_sha !== 'string') throw missingField('CheckRun', 'head_sha');
        const headSha = await commitOrFail(repo, body.head_sha);
        const run: PostedCheckRun = {
          repo: fullName,
          id: nextId++,
          name: body.name,
          head_sha: headSha,
          status: 'queued',
          conclusion: null,
          details_url: null,
          external_id: null,
          started_at: now(),
          completed_at: null,
          output: { title: null, summary: null, text: null },
          updates: 0,
        };
        applyCheckRun(run, body);
        posted.checkRuns.push(run);
        return { status: 201, json: checkRunJson(ctx, run) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/check-runs\/(\d+)$/,
      run: async ({ ctx, params, fullName }) => ({
        status: 200,
        json: checkRunJson(ctx, findCheckRun(fullName, params[0]!)),
      }),
    },
    {
      method: 'PATCH',
      pattern: /^\/check-runs\/(\d+)$/,
      run: async ({ ctx, params, body, fullName }) => {
        const run = findCheckRun(fullName, params[0]!);
        applyCheckRun(run, body);
        run.updates += 1;
        return { status: 200, json: checkRunJson(ctx, run) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/issues\/(\d+)\/comments$/,
      run: async ({ ctx, params, query, fullName }) => {
        const issueNumber = Number(params[0]);
        const all = posted.comments.filter((c) => c.repo === fullName && c.issueNumber === issueNumber);
        const perPage = Math.min(Math.max(Number(query.get('per_page')) || 30, 1), 100);
        const page = Math.max(Number(query.get('page')) || 1, 1);
        const lastPage = Math.max(Math.ceil(all.length / perPage), 1);
        const headers: Record<string, string> = {};
        const pageUrl = (n: number) =>
          `${ctx.api}/repos/${fullName}/issues/${issueNumber}/comments?per_page=${perPage}&page=${n}`;
        const links = [];
        if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
        if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
        if (links.length > 0) headers.link = links.join(', ');
        const slice = all.slice((page - 1) * perPage, page * perPage);
        return { status: 200, json: slice.map((c) => commentJson(ctx, c)), headers };
      },
    },
    {
      method: 'POST',
      pattern: /^\/issues\/(\d+)\/comments$/,
      run: async ({ ctx, params, body, fullName }) => {
        if (typeof body.body !== 'string') throw missingField('IssueComment', 'body');
        const at = now();
        const comment: PostedComment = {
          repo: fullName,
          issueNumber: Number(params[0]),
          id: nextId++,
          body: body.body,
          user: botLogin,
          created_at: at,
          updated_at: at,
        };
        posted.comments.push(comment);
        return { status: 201, json: commentJson(ctx, comment) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/issues\/comments\/(\d+)$/,
      run: async ({ ctx, params, fullName }) => ({
        status: 200,
        json: commentJson(ctx, findComment(fullName, params[0]!)),
      }),
    },
    {
      method: 'PATCH',
      pattern: /^\/issues\/comments\/(\d+)$/,
      run: async ({ ctx, params, body, fullName }) => {
        const comment = findComment(fullName, params[0]!);
        if (typeof body.body !== 'string') throw missingField('IssueComment', 'body');
        comment.body = body.body;
        comment.updated_at = now();
        return { status: 200, json: commentJson(ctx, comment) };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/issues\/comments\/(\d+)$/,
      run: async ({ params, fullName }) => {
        const comment = findComment(fullName, params[0]!);
        posted.comments.splice(posted.comments.indexOf(comment), 1);
        return { status: 204, raw: '', contentType: 'text/plain' };
      },
    },
    {
      method: 'GET',
      pattern: /^\/pulls\/(\d+)$/,
      run: async ({ repo, ctx, params, fullName }) => {
        const spec = pulls.get(`${fullName.toLowerCase()}#${params[0]}`);
        if (!spec) throw new GitHubApiError(404, 'Not Found');
        return { status: 200, json: await pullJson(ctx, repo, fullName, spec) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/collaborators\/([^/]+)\/permission$/,
      run: async ({ ctx, params }) => {
        const login = params[0]!;
        const role = permissions.get(login) ?? 'read';
        const permission = PERMISSION_OF[role];
        const rank = ['none', 'read', 'triage', 'write', 'maintain', 'admin'].indexOf(role);
        return {
          status: 200,
          json: {
            permission,
            role_name: role,
            user: {
              ...userJson(ctx.api, login),
              permissions: {
                pull: rank >= 1,
                triage: rank >= 2,
                push: rank >= 3,
                maintain: rank >= 4,
                admin: rank >= 5,
              },
              role_name: role,
            },
          },
        };
      },
    },
  ];

  function findCheckRun(fullName: string, id: string): PostedCheckRun {
    const run = posted.checkRuns.find((r) => r.repo === fullName && r.id === Number(id));
    if (!run) throw new GitHubApiError(404, 'Not Found');
    return run;
  }

  function findComment(fullName: string, id: string): PostedComment {
    const comment = posted.comments.find((c) => c.repo === fullName && c.id === Number(id));
    if (!comment) throw new GitHubApiError(404, 'Not Found');
    return comment;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const baseHeaders = {
      'x-github-request-id': requestId,
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
    };
    const fail = (status: number, message: string, errors?: unknown) => {
      req.resume();
      sendJson(
        res,
        status,
        { message, ...(errors ? { errors } : {}), documentation_url: DOCS, status: String(status) },
        baseHeaders,
      );
    };

    // A web page that rebinds its name to 127.0.0.1 still sends its own Host (see verify-request.ts).
    const wrongHost = checkHost(req.headers, 'GitHub');
    if (wrongHost) return fail(403, wrongHost.message);
    if (down || failures > 0) {
      if (!down) failures -= 1;
      return fail(503, 'Service Unavailable');
    }
    const authorization = String(req.headers.authorization ?? '');
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(authorization)?.[1];
    if (!authorization) return fail(401, 'Requires authentication');
    if (token !== options.token) return fail(401, 'Bad credentials');

    const url = new URL(req.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    // ['', 'repos', owner, repo, ...rest]
    if (segments[1] !== 'repos' || !segments[2] || !segments[3]) return fail(404, 'Not Found');
    const registered = repos.get(`${segments[2]}/${segments[3]}`.toLowerCase());
    if (!registered) return fail(404, 'Not Found');
    const { git: repo, fullName } = registered;
    const [owner, name] = fullName.split('/') as [string, string];
    const rest = segments.length > 4 ? `/${segments.slice(4).join('/')}` : '';
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    let params: string[] = [];
    const route = routes.find((r) => {
      if (r.method !== method) return false;
      const match = r.pattern.exec(rest);
      if (match) params = match.slice(1);
      return match !== null;
    });
    if (!route) return fail(404, 'Not Found');

    let body: Record<string, unknown> = {};
    try {
      const raw = await readBody(req, MAX_BODY_BYTES);
      if (raw.length > 0) {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          return fail(400, 'Problems parsing JSON');
        body = parsed as Record<string, unknown>;
      }
    } catch (error) {
      if (error instanceof BodyTooLargeError) return fail(413, 'Payload Too Large');
      return fail(400, 'Problems parsing JSON');
    }

    const ctx: JsonContext = { api, owner, repo: name, logins };
    try {
      const answer = await route.run({ req, params, query: url.searchParams, body, repo, fullName, ctx });
      if ('json' in answer) {
        sendJson(res, answer.status, answer.json, { ...baseHeaders, ...answer.headers });
      } else {
        const raw = Buffer.from(answer.raw);
        res
          .writeHead(answer.status, {
            ...baseHeaders,
            'content-type': answer.contentType,
            'content-length': raw.length,
          })
          .end(raw);
      }
    } catch (error) {
      if (error instanceof GitHubApiError) return fail(error.status, error.message, error.errors);
      throw error;
    }
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, {
        message: `local GitHub failed: ${(error as Error).message}`,
        documentation_url: DOCS,
        status: '500',
      });
    });
  }, options.port);
  api = server.url;

  return {
    url: server.url,
    posted,
    addRepo,
    addPullRequest: (repo, pullRequest) => void pulls.set(`${repo.toLowerCase()}#${pullRequest.number}`, pullRequest),
    setPermission: (login, permission) => void permissions.set(login, permission),
    setDown: (value) => {
      down = value;
    },
    failNext: (count) => {
      failures = count;
    },
    stop: server.stop,
  };
}

function statusJson(ctx: JsonContext, status: PostedStatus, creator: ReturnType<typeof userJson>) {
  return {
    url: `${ctx.api}/repos/${status.repo}/statuses/${status.sha}`,
    avatar_url: null,
    id: status.id,
    node_id: Buffer.from(`013:StatusContext${status.id}`).toString('base64'),
    state: status.state,
    description: status.description,
    target_url: status.target_url,
    context: status.context,
    created_at: status.created_at,
    updated_at: status.created_at,
    creator,
  };
}

/** Applies the writable fields of a check run create/update body; a conclusion completes the run. */
function applyCheckRun(run: PostedCheckRun, body: Record<string, unknown>): void {
  if (typeof body.name === 'string') run.name = body.name;
  if (typeof body.status === 'string') {
    if (!CHECK_STATUSES.has(body.status))
      throw new GitHubApiError(422, 'Validation Failed', [{ resource: 'CheckRun', field: 'status', code: 'invalid' }]);
    run.status = body.status as PostedCheckRun['status'];
  }
  for (const key of ['details_url', 'external_id', 'started_at', 'completed_at'] as const) {
    const value = optionalString(body[key]);
    if (value !== undefined) run[key] = value;
  }
  if (typeof body.conclusion === 'string') {
    run.conclusion = body.conclusion;
    run.status = 'completed';
  }
  if (run.status === 'completed' && !run.completed_at)
    run.completed_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (typeof body.output === 'object' && body.output !== null) {
    const output = body.output as Record<string, unknown>;
    run.output = {
      title: optionalString(output.title) ?? run.output.title,
      summary: optionalString(output.summary) ?? run.output.summary,
      text: optionalString(output.text) ?? run.output.text,
    };
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function missingField(resource: string, field: string): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', [{ resource, field, code: 'missing_field' }]);
}
