import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { PushgateError } from '../../functions/lib/errors.ts';
import { checkHost } from '../aws/verify-request.ts';
import { buildPushPayload, ZERO_SHA } from '../git/build-push-payload.mjs';
import { sendWebhook } from '../git/send-webhook.mjs';
import { BodyTooLargeError, listenOnLoopback, readBody, sendJson } from '../http/loopback-server.ts';
import { appPublicKey, jwtProblem, looksLikeJwt } from './app-jwt.ts';
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
import type { LocalUser } from './users.ts';

export { defaultLocalUsers, localUserToken, type LocalUser, type Role } from './users.ts';
export { signAppJwt } from './app-jwt.ts';

/** A collaborator's role; the permission endpoint reports it as admin / write / read / none. */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface StartGitHubOptions {
  /** `owner/name` → path of a bare repository. */
  repos: Record<string, string>;
  /** The bot's token (`Authorization: token …` or `Bearer …`): requests with it act as `botLogin`. */
  token: string;
  port?: number;
  /** Login → role on every repository; anyone else has `read`. */
  permissions?: Record<string, Permission>;
  /** Email → login, to link commit authors to users. */
  logins?: Record<string, string>;
  /** Who the token belongs to: the author of posted comments and statuses. Default `pushgate[bot]`. */
  botLogin?: string;
  /** People with their own tokens: a request with one acts as that user, with the user's role. */
  users?: LocalUser[];
  /** Where events go, signed with `secret`, as a repository webhook would send them. */
  webhook?: WebhookTarget;
  /** `org/team-slug` → member logins. */
  teams?: Record<string, string[]>;
  /** A GitHub App installed on every owner: JWT auth and installation access tokens. */
  app?: LocalGitHubApp;
  /**
   * Most entries of one recursive Git Trees listing before it is `truncated`: GitHub's 100,000 by
   * default (and its 7 MB, always). Lower only to make a test's small repository cross it.
   */
  treeEntryLimit?: number;
}

export interface WebhookTarget {
  url: string;
  secret: string;
  /** The events the hook is subscribed to; default `push`, `pull_request` and `issue_comment`, pushgate's. */
  events?: string[];
  /** Per delivery; default 10 s, GitHub's own delivery timeout. */
  timeoutMs?: number;
}

export interface LocalGitHubApp {
  id: number;
  /** The app's public key (PEM): JWTs signed with its private key are accepted. */
  publicKeyPem: string;
  /** How long installation access tokens live; default 3600 s, as on GitHub. */
  tokenTtlSeconds?: number;
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

/** A pull request as it is now: opened through the API or added with `addPullRequest`. */
export interface LocalPullRequest extends PullRequestSpec {
  repo: string;
  state: 'open' | 'closed';
  /** The head commit when last known (opened, synchronized, merged); the branch is read while open. */
  headSha?: string;
  merged: boolean;
  mergeCommitSha: string | null;
  mergedBy?: string;
  mergedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
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
  /** The login of the token that posted it. */
  creator: string;
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

/**
 * An issue opened through the API (`POST /repos/{owner}/{repo}/issues`), as it is now (PATCHes apply
 * to it). Issues and pull requests share one sequence of numbers, as on GitHub.
 */
export interface LocalIssue {
  repo: string;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

/** A comment on a commit (optionally on a line of a file). */
export interface PostedCommitComment {
  repo: string;
  sha: string;
  id: number;
  body: string;
  path: string | null;
  line: number | null;
  user: string;
  created_at: string;
  updated_at: string;
}

/**
 * A repository webhook created through the API (`POST /repos/{owner}/{repo}/hooks`), as it is now.
 * https://docs.github.com/en/rest/repos/webhooks
 */
export interface LocalHook {
  repo: string;
  id: number;
  name: 'web';
  active: boolean;
  events: string[];
  config: { url: string; content_type: 'json' | 'form'; insecure_ssl: '0' | '1'; secret?: string };
  created_at: string;
  updated_at: string;
  last_response: { code: number | null; status: 'unused' | 'active' | 'failed'; message: string | null };
}

/** One webhook sent: what was sent and how the receiver answered (status 0: no answer, see `error`). */
export interface WebhookDelivery {
  id: string;
  /** The registered hook it went to; absent for the `webhook` option's target. */
  hookId?: number;
  event: string;
  action?: string;
  payload: Record<string, unknown>;
  status: number;
  body: unknown;
  error?: string;
}

export interface RefUpdate {
  /** Full ref, e.g. `refs/heads/feature`. */
  ref: string;
  before: string;
  after: string;
}

export interface LocalGitHub {
  /** The API base URL: give it to Octokit as `baseUrl`. */
  url: string;
  /** Everything written through the API, for tests to read. */
  posted: {
    statuses: PostedStatus[];
    checkRuns: PostedCheckRun[];
    comments: PostedComment[];
    commitComments: PostedCommitComment[];
    /** Issues opened through the API (not pull requests), oldest first. */
    issues: LocalIssue[];
  };
  /** Every webhook sent, oldest first (to the `webhook` option's target and to registered hooks). */
  deliveries: WebhookDelivery[];
  /** The hooks registered on a repository through the API, as they are now (secrets included). */
  hooks(repo: string): LocalHook[];
  /** Installation access tokens created so far (POST /app/installations/{id}/access_tokens). */
  readonly installationTokensCreated: number;
  addRepo(fullName: string, bareRepoPath: string): void;
  addPullRequest(repo: string, pullRequest: PullRequestSpec): void;
  /** The pull request as it is now, or undefined. */
  pullRequest(repo: string, number: number): LocalPullRequest | undefined;
  setPermission(login: string, permission: Permission): void;
  addUser(user: LocalUser): void;
  setWebhook(url: string, secret: string): void;
  /**
   * Branches moved outside the API (a `git push`, told by the post-receive hook): open pull requests
   * with that head are synchronized (closed when it was deleted), as GitHub does. Resolves with the
   * deliveries it caused. `sender` defaults to the login of the new head's committer, else the owner.
   */
  refsUpdated(repo: string, updates: RefUpdate[], sender?: string): Promise<WebhookDelivery[]>;
  /** While down, every request is answered 503, as during a GitHub outage. */
  setDown(down: boolean): void;
  /** The next `count` requests are answered 503. */
  failNext(count: number): void;
  stop(): Promise<void>;
}

export interface GitHubErrorDetail {
  resource: string;
  field?: string;
  code: string;
  message?: string;
}

/** An answer other than 2xx, with GitHub's error body. */
export class GitHubApiError extends PushgateError {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: GitHubErrorDetail[],
  ) {
    super(message);
  }
}

/** Who a request acts as. */
interface Actor {
  login: string;
  type: 'User' | 'Bot';
  role: Permission;
  /** `bot`: the bot token or an installation token; `app`: an app JWT. */
  kind: 'bot' | 'user' | 'app';
}

interface RouteInput {
  req: IncomingMessage;
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  repo: GitRepository;
  fullName: string;
  ctx: JsonContext;
  actor: Actor;
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
/** A recursive tree listing is cut past these. https://docs.github.com/en/rest/git/trees#get-a-tree */
const TREE_ENTRY_LIMIT = 100_000;
const TREE_BYTE_LIMIT = 7 * 1024 * 1024;
/** GitHub lists at most this many files for a whole comparison. https://docs.github.com/en/rest/commits/commits#compare-two-commits */
const COMPARE_FILES_LIMIT = 300;

/**
 * A subset of GitHub's REST API over local bare repositories: contents, compare (at most 300 files,
 * as GitHub), Git trees (recursive, truncated as GitHub cuts them), commits, statuses,
 * check runs, issue and commit comments, pull requests (open, list, merge), collaborator permissions,
 * team memberships and GitHub App installation tokens, with GitHub's response shapes and error
 * bodies (401 Bad credentials, 403, 404 Not Found, 405, 422 Validation Failed). Users act with their
 * own tokens; what they do is sent to the webhook, signed, as GitHub would.
 */
export async function startGitHub(options: StartGitHubOptions): Promise<LocalGitHub> {
  // GitHub matches owner and name case-insensitively and answers with the canonical spelling.
  const repos = new Map<string, { git: GitRepository; fullName: string }>();
  const addRepo = (fullName: string, path: string) =>
    void repos.set(fullName.toLowerCase(), { git: new GitRepository(resolve(path)), fullName });
  for (const [fullName, path] of Object.entries(options.repos)) addRepo(fullName, path);
  /** `owner/name#number` (lower case) → pull request. */
  const pulls = new Map<string, LocalPullRequest>();
  /** `owner/name` (lower case) → the next issue / pull request number. */
  const nextNumbers = new Map<string, number>();
  const permissions = new Map(Object.entries(options.permissions ?? {}));
  const usersByToken = new Map<string, LocalUser>();
  const logins = options.logins ?? {};
  const botLogin = options.botLogin ?? 'pushgate[bot]';
  /** The app's comments show as `<slug>[bot]`: the bot. */
  const appSlug = botLogin.replace(/\[bot\]$/, '');
  const teams = new Map(Object.entries(options.teams ?? {}).map(([team, members]) => [team.toLowerCase(), members]));
  const posted: LocalGitHub['posted'] = { statuses: [], checkRuns: [], comments: [], commitComments: [], issues: [] };
  const deliveries: WebhookDelivery[] = [];
  let webhook = options.webhook;
  /** `owner/name` (lower case) → its registered hooks. */
  const hooksByRepo = new Map<string, LocalHook[]>();
  const hooksOf = (repo: string) => hooksByRepo.get(repo.toLowerCase()) ?? [];
  const app = options.app ? { ...options.app, publicKey: appPublicKey(options.app.publicKeyPem) } : undefined;
  /** Installation access token → when it expires (ms). */
  const installationTokens = new Map<string, number>();
  let installationTokensCreated = 0;
  let nextId = 1000;
  let down = false;
  let failures = 0;
  let api = '';

  const addUser = (user: LocalUser) => {
    usersByToken.set(user.token, user);
    permissions.set(user.login, user.role);
  };
  for (const user of options.users ?? []) addUser(user);

  const typeOf = (login: string) => (login === botLogin || login.endsWith('[bot]') ? 'Bot' : 'User');
  const person = (login: string) => userJson(api, login, typeOf(login));
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pullKey = (repo: string, number: number) => `${repo.toLowerCase()}#${number}`;
  const installationId = (owner: string) => stableId(`installation:${owner.toLowerCase()}`);
  const teamMember = (org: string, login: string) =>
    [...teams].some(([team, members]) => team.startsWith(`${org.toLowerCase()}/`) && members.includes(login));

  function takeNumber(repo: string): number {
    const key = repo.toLowerCase();
    const number = nextNumbers.get(key) ?? 1;
    nextNumbers.set(key, number + 1);
    return number;
  }

  /**
   * GitHub's `author_association` of a login on a repository: OWNER for the owner, MEMBER for an
   * admin or maintainer or a member of one of the owner's teams, COLLABORATOR for anyone given a
   * role, else NONE.
   */
  function association(owner: string, login: string): string {
    if (login.toLowerCase() === owner.toLowerCase()) return 'OWNER';
    const role = permissions.get(login);
    if (role === 'admin' || role === 'maintain' || teamMember(owner, login)) return 'MEMBER';
    if (role !== undefined && role !== 'none') return 'COLLABORATOR';
    return 'NONE';
  }

  /** Who a token acts as; `problem` for a JWT GitHub would refuse; undefined for an unknown token. */
  function actorOf(token: string): Actor | { problem: string } | undefined {
    if (token === options.token) return { login: botLogin, type: typeOf(botLogin), role: 'write', kind: 'bot' };
    const user = usersByToken.get(token);
    if (user) return { login: user.login, type: 'User', role: permissions.get(user.login) ?? user.role, kind: 'user' };
    const expires = installationTokens.get(token);
    if (expires !== undefined) {
      if (expires <= Date.now()) return undefined;
      return { login: botLogin, type: typeOf(botLogin), role: 'write', kind: 'bot' };
    }
    if (app && looksLikeJwt(token)) {
      const problem = jwtProblem(token, app);
      if (problem) return { problem };
      return { login: `app/${app.id}`, type: 'Bot', role: 'none', kind: 'app' };
    }
    return undefined;
  }

  /**
   * Sends one event to the webhook, if one is set and subscribed to it, and to every active hook of
   * the payload's repository subscribed to it (each signed with its own secret), and records the
   * deliveries. A failed delivery is recorded, never thrown: the API call that caused it still
   * succeeds. Resolves with the first delivery (the `webhook` option's target when it has one).
   */
  async function deliver(
    event: string,
    owner: string,
    payload: Record<string, unknown>,
    to: { target?: boolean; hooks?: boolean } = {},
  ): Promise<WebhookDelivery | undefined> {
    const sent: WebhookDelivery[] = [];
    const target = webhook;
    const targetEvents = target?.events ?? ['push', 'pull_request', 'issue_comment'];
    if (target && to.target !== false && (targetEvents.includes(event) || targetEvents.includes('*'))) {
      sent.push(await deliverTo(target, event, owner, payload));
    }
    const repository = payload.repository as { full_name?: unknown } | undefined;
    if (to.hooks !== false && typeof repository?.full_name === 'string') {
      for (const hook of hooksOf(repository.full_name)) {
        if (!hook.active || !(hook.events.includes(event) || hook.events.includes('*'))) continue;
        sent.push(await deliverToHook(hook, event, owner, payload));
      }
    }
    return sent[0];
  }

  /** One delivery to a registered hook; its last_response follows the answer, as on GitHub. */
  async function deliverToHook(
    hook: LocalHook,
    event: string,
    owner: string,
    payload: Record<string, unknown>,
  ): Promise<WebhookDelivery> {
    const delivery = await deliverTo(
      { url: hook.config.url, secret: hook.config.secret ?? '' },
      event,
      owner,
      payload,
      hook.id,
    );
    const ok = delivery.status >= 200 && delivery.status < 300;
    hook.last_response = {
      code: delivery.status === 0 ? null : delivery.status,
      status: ok ? 'active' : 'failed',
      message: ok ? 'OK' : (delivery.error ?? `Invalid HTTP Response: ${delivery.status}`),
    };
    return delivery;
  }

  async function deliverTo(
    target: WebhookTarget,
    event: string,
    owner: string,
    payload: Record<string, unknown>,
    hookId?: number,
  ): Promise<WebhookDelivery> {
    const body = app
      ? {
          ...payload,
          installation: {
            id: installationId(owner),
            node_id: Buffer.from(`023:Installation${installationId(owner)}`).toString('base64'),
          },
        }
      : payload;
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      ...(hookId === undefined ? {} : { hookId }),
      event,
      ...(typeof payload.action === 'string' ? { action: payload.action } : {}),
      payload: body,
      status: 0,
      body: undefined,
    };
    try {
      const answer = await sendWebhook({
        url: target.url,
        secret: target.secret,
        event,
        payload: body,
        deliveryId: delivery.id,
        timeoutMs: target.timeoutMs ?? 10_000,
      });
      delivery.status = answer.status;
      delivery.body = answer.body;
    } catch (error) {
      delivery.error = (error as Error).message;
    }
    deliveries.push(delivery);
    return delivery;
  }

  /** `repository` as webhook payloads carry it (no caller `permissions`). */
  async function repositoryPayload(ctx: JsonContext, repo: GitRepository) {
    const json: Partial<ReturnType<typeof repoJson>> = repoJson(ctx, await repo.defaultBranch(), repo.path);
    delete json.permissions;
    return json;
  }

  function contextFor(fullName: string): JsonContext {
    const [owner = fullName, name = fullName] = fullName.split('/');
    return { api, owner, repo: name, logins };
  }

  async function sendPullRequestEvent(
    action: string,
    repo: GitRepository,
    pull: LocalPullRequest,
    sender: string,
    extra: Record<string, unknown> = {},
  ): Promise<WebhookDelivery | undefined> {
    const ctx = contextFor(pull.repo);
    return deliver('pull_request', ctx.owner, {
      action,
      number: pull.number,
      ...extra,
      pull_request: await pullJson(ctx, repo, pull),
      repository: await repositoryPayload(ctx, repo),
      sender: person(sender),
    });
  }

  async function commitOrFail(repo: GitRepository, ref: string): Promise<string> {
    const sha = await repo.resolveCommit(ref);
    if (!sha) throw new GitHubApiError(422, `No commit found for SHA: ${ref}`);
    return sha;
  }

  function findPull(fullName: string, number: string | number): LocalPullRequest {
    const pull = pulls.get(pullKey(fullName, Number(number)));
    if (!pull) throw new GitHubApiError(404, 'Not Found');
    return pull;
  }

  function addPullRequest(repo: string, spec: PullRequestSpec): void {
    const at = now();
    pulls.set(pullKey(repo, spec.number), {
      ...spec,
      repo: repos.get(repo.toLowerCase())?.fullName ?? repo,
      state: spec.state ?? 'open',
      merged: false,
      mergeCommitSha: null,
      mergedAt: null,
      closedAt: spec.state === 'closed' ? at : null,
      createdAt: at,
      updatedAt: at,
    });
    const key = repo.toLowerCase();
    nextNumbers.set(key, Math.max(nextNumbers.get(key) ?? 1, spec.number + 1));
  }

  async function refsUpdated(
    repoName: string,
    updates: RefUpdate[],
    sender?: string,
    { push = true }: { push?: boolean } = {},
  ): Promise<WebhookDelivery[]> {
    const registered = repos.get(repoName.toLowerCase());
    if (!registered) throw new GitHubApiError(404, 'Not Found');
    const { git: repo, fullName } = registered;
    const sent: WebhookDelivery[] = [];
    // The post-receive hook sent `push` to the `webhook` option's target already; registered hooks
    // get it here, before the pull request events, in GitHub's order.
    if (push && hooksOf(fullName).some((hook) => hook.active)) {
      for (const update of updates) {
        const payload = await buildPushPayload({
          bareRepo: repo.path,
          repoFullName: fullName,
          ref: update.ref,
          before: update.before,
          after: update.after,
          ...(sender ? { sender } : {}),
          logins,
          cloneUrl: repo.path,
        });
        await deliver('push', contextFor(fullName).owner, payload as unknown as Record<string, unknown>, {
          target: false,
        });
      }
    }
    for (const update of updates) {
      if (!update.ref.startsWith('refs/heads/')) continue;
      const branch = update.ref.slice('refs/heads/'.length);
      const affected = [...pulls.values()].filter(
        (p) => p.repo.toLowerCase() === fullName.toLowerCase() && p.state === 'open' && p.head === branch,
      );
      if (affected.length === 0) continue;
      const deleted = update.after === ZERO_SHA;
      let by = sender;
      if (!by && !deleted) {
        const { committer } = await repo.commit(update.after);
        by = logins[committer.email];
      }
      by ??= contextFor(fullName).owner;
      for (const pull of affected) {
        pull.updatedAt = now();
        let delivery: WebhookDelivery | undefined;
        if (deleted) {
          // Deleting the head branch closes the pull request.
          pull.state = 'closed';
          pull.closedAt = pull.updatedAt;
          delivery = await sendPullRequestEvent('closed', repo, pull, by);
        } else {
          pull.headSha = update.after;
          await repo.updateRef(`refs/pull/${pull.number}/head`, update.after);
          delivery = await sendPullRequestEvent('synchronize', repo, pull, by, {
            before: update.before,
            after: update.after,
          });
        }
        if (delivery) sent.push(delivery);
      }
    }
    return sent;
  }

  /** The combined status of a commit: the latest status per context. https://docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference */
  function combinedState(statuses: PostedStatus[]): 'failure' | 'pending' | 'success' {
    if (statuses.some((s) => s.state === 'error' || s.state === 'failure')) return 'failure';
    if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending';
    return 'success';
  }

  function paginate<T>(all: T[], query: URLSearchParams, url: string): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(Math.max(Number(query.get('per_page')) || 30, 1), 100);
    const page = Math.max(Number(query.get('page')) || 1, 1);
    const lastPage = Math.max(Math.ceil(all.length / perPage), 1);
    const headers: Record<string, string> = {};
    const params = new URLSearchParams(query);
    const pageUrl = (n: number) => {
      params.set('per_page', String(perPage));
      params.set('page', String(n));
      return `${url}?${params.toString()}`;
    };
    const links = [];
    if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
    if (links.length > 0) headers.link = links.join(', ');
    return { items: all.slice((page - 1) * perPage, page * perPage), headers };
  }

  const findIssue = (repo: string, number: number) =>
    posted.issues.find((i) => i.repo.toLowerCase() === repo.toLowerCase() && i.number === number);

  function issueJson(ctx: JsonContext, number: number) {
    const full = `${ctx.owner}/${ctx.repo}`;
    const pull = pulls.get(pullKey(full, number));
    const issue = pull ? undefined : findIssue(full, number);
    const base = `${ctx.api}/repos/${full}/issues/${number}`;
    const user = pull?.user ?? issue?.user ?? ctx.owner;
    const id = stableId(`issue:${full}#${number}`);
    return {
      url: base,
      repository_url: `${ctx.api}/repos/${full}`,
      labels_url: `${base}/labels{/name}`,
      comments_url: `${base}/comments`,
      events_url: `${base}/events`,
      html_url: `${ctx.api}/${full}/${pull ? 'pull' : 'issues'}/${number}`,
      id,
      node_id: Buffer.from(`05:Issue${id}`).toString('base64'),
      number,
      title: pull?.title ?? issue?.title ?? `Issue #${number}`,
      user: person(user),
      labels: (issue?.labels ?? []).map((name) => ({
        id: stableId(`label:${full}:${name}`),
        url: `${ctx.api}/repos/${full}/labels/${encodeURIComponent(name)}`,
        name,
        color: 'ededed',
        default: false,
        description: null,
      })),
      state: pull?.state ?? issue?.state ?? 'open',
      ...(issue ? { state_reason: issue.stateReason } : {}),
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: posted.comments.filter((c) => c.repo === full && c.issueNumber === number).length,
      created_at: pull?.createdAt ?? issue?.createdAt ?? now(),
      updated_at: pull?.updatedAt ?? issue?.updatedAt ?? now(),
      closed_at: pull?.closedAt ?? issue?.closedAt ?? null,
      author_association: association(ctx.owner, user),
      body: pull?.body ?? issue?.body ?? null,
      ...(pull
        ? {
            pull_request: {
              url: `${ctx.api}/repos/${full}/pulls/${number}`,
              html_url: `${ctx.api}/${full}/pull/${number}`,
              diff_url: `${ctx.api}/${full}/pull/${number}.diff`,
              patch_url: `${ctx.api}/${full}/pull/${number}.patch`,
              merged_at: pull.mergedAt,
            },
          }
        : {}),
    };
  }

  async function sendIssueCommentEvent(
    action: 'created' | 'edited' | 'deleted',
    ctx: JsonContext,
    repo: GitRepository,
    comment: PostedComment,
    sender: string,
    extra: Record<string, unknown> = {},
  ): Promise<WebhookDelivery | undefined> {
    return deliver('issue_comment', ctx.owner, {
      action,
      ...extra,
      issue: issueJson(ctx, comment.issueNumber),
      comment: commentJson(ctx, comment),
      repository: await repositoryPayload(ctx, repo),
      sender: person(sender),
    });
  }

  function installationJson(owner: string) {
    const id = installationId(owner);
    return {
      id,
      account: userJson(api, owner),
      repository_selection: 'all',
      access_tokens_url: `${api}/app/installations/${id}/access_tokens`,
      repositories_url: `${api}/installation/repositories`,
      html_url: `${api}/settings/installations/${id}`,
      app_id: app?.id,
      app_slug: appSlug,
      target_id: stableId(`user:${owner}`),
      target_type: 'Organization',
      permissions: { contents: 'write', pull_requests: 'write', issues: 'write', statuses: 'write', checks: 'write' },
      events: ['push', 'pull_request', 'issue_comment'],
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  function commitCommentJson(ctx: JsonContext, comment: PostedCommitComment) {
    const full = comment.repo;
    return {
      html_url: `${ctx.api}/${full}/commit/${comment.sha}#commitcomment-${comment.id}`,
      url: `${ctx.api}/repos/${full}/comments/${comment.id}`,
      id: comment.id,
      node_id: Buffer.from(`017:CommitComment${comment.id}`).toString('base64'),
      body: comment.body,
      path: comment.path,
      position: null,
      line: comment.line,
      commit_id: comment.sha,
      user: person(comment.user),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: association(ctx.owner, comment.user),
    };
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
      user: person(comment.user),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: association(ctx.owner, comment.user),
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

  async function pullJson(ctx: JsonContext, repo: GitRepository, pull: LocalPullRequest) {
    const fullName = pull.repo;
    const [liveHead, baseSha, defaultBranch] = await Promise.all([
      repo.resolveCommit(`refs/heads/${pull.head}`),
      repo.resolveCommit(`refs/heads/${pull.base}`),
      repo.defaultBranch(),
    ]);
    // An open pull request follows its branch; a closed one keeps the head it had.
    const headSha = pull.state === 'open' ? (liveHead ?? pull.headSha) : (pull.headSha ?? liveHead);
    const repository = repoJson(ctx, defaultBranch, repo.path);
    const side = (ref: string, sha: string | undefined) => ({
      label: `${ctx.owner}:${ref}`,
      ref,
      sha: sha ?? null,
      user: userJson(ctx.api, ctx.owner),
      repo: repository,
    });
    const user = pull.user ?? 'octocat';
    const id = stableId(`pull:${fullName}#${pull.number}`);
    const url = `${ctx.api}/repos/${fullName}/pulls/${pull.number}`;
    const html = `${ctx.api}/${fullName}/pull/${pull.number}`;
    const issue = `${ctx.api}/repos/${fullName}/issues/${pull.number}`;
    const open = pull.state === 'open';
    return {
      url,
      id,
      node_id: Buffer.from(`011:PullRequest${id}`).toString('base64'),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issue,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title ?? `Pull request #${pull.number}`,
      user: person(user),
      body: pull.body ?? null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      labels: [],
      milestone: null,
      draft: pull.draft ?? false,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${ctx.api}/repos/${fullName}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: `${ctx.api}/repos/${fullName}/statuses/${headSha ?? ''}`,
      head: side(pull.head, headSha),
      base: side(pull.base, baseSha),
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: issue },
        comments: { href: `${issue}/comments` },
        statuses: { href: `${ctx.api}/repos/${fullName}/statuses/${headSha ?? ''}` },
      },
      author_association: association(ctx.owner, user),
      auto_merge: null,
      active_lock_reason: null,
      merged: pull.merged,
      mergeable: open ? true : null,
      rebaseable: open ? true : null,
      mergeable_state: open ? 'clean' : 'unknown',
      merged_by: pull.mergedBy ? person(pull.mergedBy) : null,
      comments: posted.comments.filter((c) => c.repo === fullName && c.issueNumber === pull.number).length,
      review_comments: 0,
      maintainer_can_modify: false,
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
            files: files.slice(0, COMPARE_FILES_LIMIT).map((f) => fileJson(ctx, f, head)),
          },
        };
      },
    },
    {
      // https://docs.github.com/en/rest/git/trees#get-a-tree: `recursive` with any value lists every
      // entry below; a listing past 100,000 entries or 7 MB is cut and says `truncated`.
      method: 'GET',
      pattern: /^\/git\/trees\/(.+)$/,
      run: async ({ repo, ctx, params, query }) => {
        const listing = await repo.tree(params[0]!, query.has('recursive'));
        if (!listing) throw new GitHubApiError(404, 'Not Found');
        const base = `${ctx.api}/repos/${ctx.owner}/${ctx.repo}`;
        const entryLimit = options.treeEntryLimit ?? TREE_ENTRY_LIMIT;
        const tree: unknown[] = [];
        let bytes = 0;
        let truncated = false;
        for (const entry of listing.entries) {
          const json = {
            path: entry.path,
            mode: entry.mode,
            type: entry.type,
            sha: entry.sha,
            ...(entry.size === undefined ? {} : { size: entry.size }),
            ...(entry.type === 'commit' ? {} : { url: `${base}/git/${entry.type}s/${entry.sha}` }),
          };
          bytes += JSON.stringify(json).length + 1;
          if (tree.length >= entryLimit || bytes > TREE_BYTE_LIMIT) {
            truncated = true;
            break;
          }
          tree.push(json);
        }
        return { status: 200, json: { sha: listing.sha, url: `${base}/git/trees/${listing.sha}`, tree, truncated } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/commits\/(.+?)\/statuses$/,
      run: async ({ repo, ctx, params, fullName, query }) => {
        const sha = await commitOrFail(repo, params[0]!);
        const statuses = posted.statuses.filter((s) => s.repo === fullName && s.sha === sha).reverse();
        const url = `${ctx.api}/repos/${fullName}/commits/${encodeURIComponent(params[0]!)}/statuses`;
        const { items, headers } = paginate(statuses, query, url);
        return { status: 200, json: items.map((s) => statusJson(ctx, s, person(s.creator))), headers };
      },
    },
    {
      method: 'GET',
      pattern: /^\/commits\/(.+?)\/status$/,
      run: async ({ repo, ctx, params, fullName }) => {
        const sha = await commitOrFail(repo, params[0]!);
        const latest = new Map<string, PostedStatus>();
        // Newest first, so the first seen of each context is its latest.
        for (const status of posted.statuses.filter((s) => s.repo === fullName && s.sha === sha).reverse()) {
          if (!latest.has(status.context)) latest.set(status.context, status);
        }
        const statuses = [...latest.values()];
        return {
          status: 200,
          json: {
            state: combinedState(statuses),
            statuses: statuses.map((s) => {
              const { creator, ...rest } = statusJson(ctx, s, person(s.creator));
              void creator;
              return rest;
            }),
            sha,
            total_count: statuses.length,
            repository: await repositoryPayload(ctx, repo),
            commit_url: `${ctx.api}/repos/${fullName}/commits/${sha}`,
            url: `${ctx.api}/repos/${fullName}/commits/${sha}/status`,
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/commits\/(.+?)\/comments$/,
      run: async ({ repo, ctx, params, fullName, query }) => {
        const sha = await commitOrFail(repo, params[0]!);
        const all = posted.commitComments.filter((c) => c.repo === fullName && c.sha === sha);
        const { items, headers } = paginate(all, query, `${ctx.api}/repos/${fullName}/commits/${sha}/comments`);
        return { status: 200, json: items.map((c) => commitCommentJson(ctx, c)), headers };
      },
    },
    {
      method: 'POST',
      pattern: /^\/commits\/(.+?)\/comments$/,
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
        if (typeof body.body !== 'string') throw missingField('CommitComment', 'body');
        const sha = await commitOrFail(repo, params[0]!);
        const at = now();
        const comment: PostedCommitComment = {
          repo: fullName,
          sha,
          id: nextId++,
          body: body.body,
          path: optionalString(body.path) ?? null,
          line: typeof body.line === 'number' ? body.line : null,
          user: actor.login,
          created_at: at,
          updated_at: at,
        };
        posted.commitComments.push(comment);
        const json = commitCommentJson(ctx, comment);
        await deliver('commit_comment', ctx.owner, {
          action: 'created',
          comment: json,
          repository: await repositoryPayload(ctx, repo),
          sender: person(actor.login),
        });
        return { status: 201, json };
      },
    },
    {
      method: 'GET',
      pattern: /^\/commits\/(.+?)\/pulls$/,
      // https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit
      // A pull request is associated with a commit that is its merge commit or its head; GitHub also
      // counts the other commits of its head branch, which approvals do not need.
      run: async ({ repo, ctx, params, fullName, query }) => {
        const sha = await commitOrFail(repo, params[0]!);
        const ofRepo = [...pulls.values()].filter((p) => p.repo.toLowerCase() === fullName.toLowerCase());
        const associated: LocalPullRequest[] = [];
        for (const pull of ofRepo) {
          const liveHead = pull.state === 'open' ? await repo.resolveCommit(`refs/heads/${pull.head}`) : undefined;
          if (pull.mergeCommitSha === sha || pull.headSha === sha || liveHead === sha) associated.push(pull);
        }
        associated.sort((a, b) => b.number - a.number);
        const { items, headers } = paginate(associated, query, `${ctx.api}/repos/${fullName}/commits/${sha}/pulls`);
        return { status: 200, json: await Promise.all(items.map((p) => pullJson(ctx, repo, p))), headers };
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
            files: files.slice(0, COMPARE_FILES_LIMIT).map((f) => fileJson(ctx, f, sha)),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/statuses\/(.+)$/,
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
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
          creator: actor.login,
        };
        posted.statuses.push(status);
        return { status: 201, json: statusJson(ctx, status, person(actor.login)) };
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
        const url = `${ctx.api}/repos/${fullName}/issues/${issueNumber}/comments`;
        const { items, headers } = paginate(all, query, url);
        return { status: 200, json: items.map((c) => commentJson(ctx, c)), headers };
      },
    },
    {
      method: 'POST',
      pattern: /^\/issues\/(\d+)\/comments$/,
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
        if (typeof body.body !== 'string') throw missingField('IssueComment', 'body');
        const at = now();
        const comment: PostedComment = {
          repo: fullName,
          issueNumber: Number(params[0]),
          id: nextId++,
          body: body.body,
          user: actor.login,
          created_at: at,
          updated_at: at,
        };
        posted.comments.push(comment);
        const json = commentJson(ctx, comment);
        // GitHub sends the bot's own comments too; pushgate ignores them (they are no `/pushgate` command).
        await sendIssueCommentEvent('created', ctx, repo, comment, actor.login);
        return { status: 201, json };
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
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
        const comment = findComment(fullName, params[0]!);
        if (comment.user !== actor.login) throw notYours();
        if (typeof body.body !== 'string') throw missingField('IssueComment', 'body');
        const from = comment.body;
        comment.body = body.body;
        comment.updated_at = now();
        await sendIssueCommentEvent('edited', ctx, repo, comment, actor.login, { changes: { body: { from } } });
        return { status: 200, json: commentJson(ctx, comment) };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/issues\/comments\/(\d+)$/,
      run: async ({ repo, ctx, params, fullName, actor }) => {
        const comment = findComment(fullName, params[0]!);
        if (comment.user !== actor.login && !['admin', 'maintain', 'write'].includes(actor.role)) throw notYours();
        posted.comments.splice(posted.comments.indexOf(comment), 1);
        await sendIssueCommentEvent('deleted', ctx, repo, comment, actor.login);
        return { status: 204, raw: '', contentType: 'text/plain' };
      },
    },
    {
      // https://docs.github.com/en/rest/issues/issues#list-repository-issues: `state` (default open),
      // `labels` (comma-separated, an issue must have all), `creator`; newest first. Pull requests are
      // issues too and are listed (with `pull_request`), as GitHub lists them; they carry no labels here.
      method: 'GET',
      pattern: /^\/issues$/,
      run: async ({ ctx, query, fullName }) => {
        const state = query.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state)) throw invalidField('Issue', 'state');
        const labels = (query.get('labels') ?? '')
          .split(',')
          .map((label) => label.trim())
          .filter(Boolean);
        const creator = query.get('creator')?.toLowerCase();
        const issues = posted.issues
          .filter((i) => i.repo.toLowerCase() === fullName.toLowerCase())
          .map((i) => ({ number: i.number, state: i.state, labels: i.labels, user: i.user }));
        const pullIssues = [...pulls.values()]
          .filter((p) => p.repo.toLowerCase() === fullName.toLowerCase())
          .map((p) => ({ number: p.number, state: p.state, labels: [] as string[], user: p.user ?? 'octocat' }));
        const all = [...issues, ...pullIssues]
          .filter((i) => state === 'all' || i.state === state)
          .filter((i) => labels.every((label) => i.labels.some((has) => has.toLowerCase() === label.toLowerCase())))
          .filter((i) => creator === undefined || i.user.toLowerCase() === creator)
          .sort((a, b) => b.number - a.number);
        if (query.get('direction') === 'asc') all.reverse();
        const { items, headers } = paginate(all, query, `${ctx.api}/repos/${fullName}/issues`);
        return { status: 200, json: items.map((i) => issueJson(ctx, i.number)), headers };
      },
    },
    {
      // https://docs.github.com/en/rest/issues/issues#create-an-issue: labels that do not exist yet
      // are created; only someone with push access may set them (they are dropped otherwise).
      method: 'POST',
      pattern: /^\/issues$/,
      run: async ({ repo, ctx, body, fullName, actor }) => {
        if (typeof body.title !== 'string' || body.title === '') throw missingField('Issue', 'title');
        if (body.body !== undefined && body.body !== null && typeof body.body !== 'string')
          throw invalidField('Issue', 'body');
        const labels = labelNames(body.labels);
        if (labels === undefined) throw invalidField('Issue', 'labels');
        const at = now();
        const issue: LocalIssue = {
          repo: fullName,
          number: takeNumber(fullName),
          title: body.title,
          body: optionalString(body.body) ?? null,
          labels: canPush(actor) ? labels : [],
          state: 'open',
          stateReason: null,
          user: actor.login,
          createdAt: at,
          updatedAt: at,
          closedAt: null,
        };
        posted.issues.push(issue);
        const json = issueJson(ctx, issue.number);
        await deliver('issues', ctx.owner, {
          action: 'opened',
          issue: json,
          repository: await repositoryPayload(ctx, repo),
          sender: person(actor.login),
        });
        return { status: 201, json };
      },
    },
    {
      method: 'GET',
      pattern: /^\/issues\/(\d+)$/,
      run: async ({ ctx, params, fullName }) => {
        const number = Number(params[0]);
        if (!findIssue(fullName, number) && !pulls.has(pullKey(fullName, number)))
          throw new GitHubApiError(404, 'Not Found');
        return { status: 200, json: issueJson(ctx, number) };
      },
    },
    {
      // https://docs.github.com/en/rest/issues/issues#update-an-issue (issues opened through the API).
      method: 'PATCH',
      pattern: /^\/issues\/(\d+)$/,
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
        const issue = findIssue(fullName, Number(params[0]));
        if (!issue) throw new GitHubApiError(404, 'Not Found');
        if (!canPush(actor) && actor.login !== issue.user)
          throw new GitHubApiError(403, 'Must have admin rights to Repository.');
        const state = body.state;
        if (state !== undefined && state !== 'open' && state !== 'closed') throw invalidField('Issue', 'state');
        const reason = body.state_reason;
        if (
          reason !== undefined &&
          reason !== null &&
          !['completed', 'not_planned', 'reopened'].includes(String(reason))
        )
          throw invalidField('Issue', 'state_reason');
        const labels = body.labels === undefined ? issue.labels : labelNames(body.labels);
        if (labels === undefined) throw invalidField('Issue', 'labels');
        const at = now();
        const before = issue.state;
        if (typeof body.title === 'string' && body.title !== '') issue.title = body.title;
        if (typeof body.body === 'string' || body.body === null) issue.body = body.body;
        if (canPush(actor)) issue.labels = labels;
        if (state === 'closed' && before === 'open') {
          issue.state = 'closed';
          issue.closedAt = at;
          issue.stateReason = (reason as LocalIssue['stateReason']) ?? 'completed';
        } else if (state === 'open' && before === 'closed') {
          issue.state = 'open';
          issue.closedAt = null;
          issue.stateReason = 'reopened';
        }
        issue.updatedAt = at;
        const json = issueJson(ctx, issue.number);
        if (issue.state !== before) {
          await deliver('issues', ctx.owner, {
            action: issue.state === 'closed' ? 'closed' : 'reopened',
            issue: json,
            repository: await repositoryPayload(ctx, repo),
            sender: person(actor.login),
          });
        }
        return { status: 200, json };
      },
    },
    {
      method: 'GET',
      pattern: /^\/pulls$/,
      run: async ({ repo, ctx, query, fullName }) => {
        const state = query.get('state') ?? 'open';
        const head = query.get('head');
        const base = query.get('base');
        const all = [...pulls.values()]
          .filter((p) => p.repo.toLowerCase() === fullName.toLowerCase())
          .filter((p) => state === 'all' || p.state === state)
          .filter((p) => !head || `${ctx.owner}:${p.head}`.toLowerCase() === head.toLowerCase() || p.head === head)
          .filter((p) => !base || p.base === base)
          .sort((a, b) => b.number - a.number);
        if (query.get('direction') === 'asc') all.reverse();
        const { items, headers } = paginate(all, query, `${ctx.api}/repos/${fullName}/pulls`);
        return { status: 200, json: await Promise.all(items.map((p) => pullJson(ctx, repo, p))), headers };
      },
    },
    {
      method: 'POST',
      pattern: /^\/pulls$/,
      run: async ({ repo, ctx, body, fullName, actor }) => {
        if (typeof body.title !== 'string' || body.title === '') throw missingField('PullRequest', 'title');
        if (typeof body.head !== 'string' || body.head === '') throw missingField('PullRequest', 'head');
        if (typeof body.base !== 'string' || body.base === '') throw missingField('PullRequest', 'base');
        // `owner:branch` names a fork's branch; only this repository's own branches are served here.
        const headBranch = body.head.includes(':') ? body.head.slice(body.head.indexOf(':') + 1) : body.head;
        if (body.head.includes(':') && body.head.split(':')[0]!.toLowerCase() !== ctx.owner.toLowerCase()) {
          throw invalidField('PullRequest', 'head');
        }
        const [headSha, baseSha] = await Promise.all([
          repo.resolveCommit(`refs/heads/${headBranch}`),
          repo.resolveCommit(`refs/heads/${body.base}`),
        ]);
        if (!headSha) throw invalidField('PullRequest', 'head');
        if (!baseSha) throw invalidField('PullRequest', 'base');
        if ((await repo.count(`${baseSha}..${headSha}`)) === 0) {
          throw new GitHubApiError(422, 'Validation Failed', [
            { resource: 'PullRequest', code: 'custom', message: `No commits between ${body.base} and ${headBranch}` },
          ]);
        }
        const existing = [...pulls.values()].find(
          (p) =>
            p.repo.toLowerCase() === fullName.toLowerCase() &&
            p.state === 'open' &&
            p.head === headBranch &&
            p.base === body.base,
        );
        if (existing) {
          throw new GitHubApiError(422, 'Validation Failed', [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${ctx.owner}:${headBranch}.`,
            },
          ]);
        }
        const at = now();
        const pull: LocalPullRequest = {
          repo: fullName,
          number: takeNumber(fullName),
          head: headBranch,
          base: body.base,
          title: body.title,
          ...(typeof body.body === 'string' ? { body: body.body } : {}),
          user: actor.login,
          draft: body.draft === true,
          state: 'open',
          headSha,
          merged: false,
          mergeCommitSha: null,
          mergedAt: null,
          closedAt: null,
          createdAt: at,
          updatedAt: at,
        };
        pulls.set(pullKey(fullName, pull.number), pull);
        await repo.updateRef(`refs/pull/${pull.number}/head`, headSha);
        await sendPullRequestEvent('opened', repo, pull, actor.login);
        return {
          status: 201,
          json: await pullJson(ctx, repo, pull),
          headers: { location: `${ctx.api}/repos/${fullName}/pulls/${pull.number}` },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/pulls\/(\d+)$/,
      run: async ({ repo, ctx, params, fullName }) => ({
        status: 200,
        json: await pullJson(ctx, repo, findPull(fullName, params[0]!)),
      }),
    },
    {
      method: 'PATCH',
      pattern: /^\/pulls\/(\d+)$/,
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
        const pull = findPull(fullName, params[0]!);
        if (pull.user !== actor.login && !['admin', 'maintain', 'write'].includes(actor.role)) {
          throw new GitHubApiError(403, 'Must have push access to repository');
        }
        const changes: Record<string, { from: string | null }> = {};
        if (typeof body.title === 'string' && body.title !== pull.title) {
          changes.title = { from: pull.title ?? null };
          pull.title = body.title;
        }
        if (typeof body.body === 'string' && body.body !== pull.body) {
          changes.body = { from: pull.body ?? null };
          pull.body = body.body;
        }
        let action: 'closed' | 'reopened' | undefined;
        if (body.state === 'closed' && pull.state === 'open') {
          action = 'closed';
          pull.headSha = (await repo.resolveCommit(`refs/heads/${pull.head}`)) ?? pull.headSha;
          pull.state = 'closed';
          pull.closedAt = now();
        } else if (body.state === 'open' && pull.state === 'closed') {
          const headSha = await repo.resolveCommit(`refs/heads/${pull.head}`);
          if (pull.merged || !headSha) throw invalidField('PullRequest', 'state');
          action = 'reopened';
          pull.state = 'open';
          pull.closedAt = null;
          pull.headSha = headSha;
        }
        pull.updatedAt = now();
        if (Object.keys(changes).length > 0) await sendPullRequestEvent('edited', repo, pull, actor.login, { changes });
        if (action) await sendPullRequestEvent(action, repo, pull, actor.login);
        return { status: 200, json: await pullJson(ctx, repo, pull) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/pulls\/(\d+)\/merge$/,
      run: async ({ params, fullName }) => {
        // 204 when merged, 404 otherwise. https://docs.github.com/en/rest/pulls/pulls#check-if-a-pull-request-has-been-merged
        if (!findPull(fullName, params[0]!).merged) throw new GitHubApiError(404, 'Not Found');
        return { status: 204, raw: '', contentType: 'text/plain' };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/pulls\/(\d+)\/merge$/,
      run: async ({ repo, ctx, params, body, fullName, actor }) => {
        if (!['admin', 'maintain', 'write'].includes(actor.role)) {
          throw new GitHubApiError(403, 'Must have push access to repository');
        }
        const pull = findPull(fullName, params[0]!);
        const method = body.merge_method ?? 'merge';
        if (method !== 'merge' && method !== 'squash') throw invalidField('PullRequest', 'merge_method');
        const notMergeable = () => new GitHubApiError(405, 'Pull Request is not mergeable');
        if (pull.state !== 'open') throw notMergeable();
        const baseRef = `refs/heads/${pull.base}`;
        const [headSha, baseSha] = await Promise.all([
          repo.resolveCommit(`refs/heads/${pull.head}`),
          repo.resolveCommit(baseRef),
        ]);
        if (!headSha || !baseSha) throw notMergeable();
        if (typeof body.sha === 'string' && body.sha !== headSha) {
          throw new GitHubApiError(409, 'Head branch was modified. Review and try the merge again.');
        }
        const tree = await repo.mergeTree(baseSha, headSha);
        if (!tree) throw notMergeable();
        const title = pull.title ?? `Pull request #${pull.number}`;
        let message: string;
        if (method === 'merge') {
          const subject =
            optionalString(body.commit_title) ?? `Merge pull request #${pull.number} from ${ctx.owner}/${pull.head}`;
          message = `${subject}\n\n${optionalString(body.commit_message) ?? title}`;
        } else {
          const commits = await repo.commitsBetween(baseSha, headSha, 250);
          const subject = optionalString(body.commit_title) ?? `${title} (#${pull.number})`;
          const details = optionalString(body.commit_message) ?? commits.map((c) => `* ${c.message}`).join('\n\n');
          message = `${subject}\n\n${details}`;
        }
        const merger = { name: actor.login, email: noreplyEmail(actor.login) };
        const sha = await repo.commitTree({
          tree,
          parents: method === 'merge' ? [baseSha, headSha] : [baseSha],
          message: `${message.trimEnd()}\n`,
          author: merger,
          committer: { name: 'GitHub', email: 'noreply@github.com' },
        });
        if (!(await repo.updateRef(baseRef, sha, baseSha))) {
          throw new GitHubApiError(409, 'Base branch was modified. Review and try the merge again.');
        }
        const at = now();
        Object.assign(pull, {
          state: 'closed',
          merged: true,
          mergeCommitSha: sha,
          mergedBy: actor.login,
          mergedAt: at,
          closedAt: at,
          updatedAt: at,
          headSha,
        });
        await sendPullRequestEvent('closed', repo, pull, actor.login);
        const push = await buildPushPayload({
          bareRepo: repo.path,
          repoFullName: fullName,
          ref: baseRef,
          before: baseSha,
          after: sha,
          pusher: merger,
          sender: actor.login,
          logins,
          cloneUrl: repo.path,
        });
        await deliver('push', ctx.owner, push as unknown as Record<string, unknown>);
        // Pull requests whose head is the base branch moved too (the push is sent already).
        await refsUpdated(fullName, [{ ref: baseRef, before: baseSha, after: sha }], actor.login, { push: false });
        return { status: 200, json: { sha, merged: true, message: 'Pull Request successfully merged' } };
      },
    },
    // Repository webhooks: https://docs.github.com/en/rest/repos/webhooks. Only a repository admin
    // may see or change them; anyone else gets 404, as on GitHub.
    {
      method: 'GET',
      pattern: /^\/hooks$/,
      run: async ({ ctx, query, fullName, actor }) => {
        requireAdmin(actor);
        const { items, headers } = paginate(hooksOf(fullName), query, `${ctx.api}/repos/${fullName}/hooks`);
        return { status: 200, json: items.map((hook) => hookJson(hook)), headers };
      },
    },
    {
      method: 'POST',
      pattern: /^\/hooks$/,
      run: async ({ repo, ctx, body, fullName, actor }) => {
        requireAdmin(actor);
        if (body.name !== undefined && body.name !== 'web') throw invalidField('Hook', 'name');
        const config = hookConfig(body.config, undefined);
        if (hooksOf(fullName).some((hook) => hook.config.url === config.url)) {
          throw new GitHubApiError(422, 'Validation Failed', [
            { resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' },
          ]);
        }
        const at = now();
        const hook: LocalHook = {
          repo: fullName,
          id: nextId++,
          name: 'web',
          active: body.active === undefined ? true : body.active === true,
          events: body.events === undefined ? ['push'] : hookEvents(body.events),
          config,
          created_at: at,
          updated_at: at,
          last_response: { code: null, status: 'unused', message: null },
        };
        hooksByRepo.set(fullName.toLowerCase(), [...hooksOf(fullName), hook]);
        // GitHub pings a new hook at once, whatever its events.
        await ping(hook, repo, ctx, actor);
        return {
          status: 201,
          json: hookJson(hook),
          headers: { location: `${ctx.api}/repos/${fullName}/hooks/${hook.id}` },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/hooks\/(\d+)$/,
      run: async ({ params, fullName, actor }) => {
        requireAdmin(actor);
        return { status: 200, json: hookJson(findHook(fullName, params[0]!)) };
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/hooks\/(\d+)$/,
      run: async ({ params, body, fullName, actor }) => {
        requireAdmin(actor);
        const hook = findHook(fullName, params[0]!);
        if (body.config !== undefined) {
          const config = hookConfig(body.config, hook.config);
          if (hooksOf(fullName).some((other) => other !== hook && other.config.url === config.url)) {
            throw new GitHubApiError(422, 'Validation Failed', [
              { resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' },
            ]);
          }
          hook.config = config;
        }
        if (body.events !== undefined) hook.events = hookEvents(body.events);
        if (body.add_events !== undefined) hook.events = [...new Set([...hook.events, ...hookEvents(body.add_events)])];
        if (body.remove_events !== undefined) {
          const removed = new Set(hookEvents(body.remove_events));
          hook.events = hook.events.filter((event) => !removed.has(event));
        }
        if (body.active !== undefined) hook.active = body.active === true;
        hook.updated_at = now();
        return { status: 200, json: hookJson(hook) };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/hooks\/(\d+)$/,
      run: async ({ params, fullName, actor }) => {
        requireAdmin(actor);
        const hook = findHook(fullName, params[0]!);
        hooksByRepo.set(
          fullName.toLowerCase(),
          hooksOf(fullName).filter((other) => other !== hook),
        );
        return { status: 204, raw: '', contentType: 'text/plain' };
      },
    },
    {
      method: 'POST',
      pattern: /^\/hooks\/(\d+)\/pings$/,
      run: async ({ repo, ctx, params, fullName, actor }) => {
        requireAdmin(actor);
        await ping(findHook(fullName, params[0]!), repo, ctx, actor);
        return { status: 204, raw: '', contentType: 'text/plain' };
      },
    },
    {
      method: 'GET',
      pattern: /^\/installation$/,
      run: async ({ ctx }) => {
        if (!app) throw new GitHubApiError(404, 'Not Found');
        return { status: 200, json: installationJson(ctx.owner) };
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

  function findHook(fullName: string, id: string): LocalHook {
    const hook = hooksOf(fullName).find((h) => h.id === Number(id));
    if (!hook) throw new GitHubApiError(404, 'Not Found');
    return hook;
  }

  /** A hook as the API shows it: the secret masked, never given back. */
  function hookJson(hook: LocalHook) {
    const url = `${api}/repos/${hook.repo}/hooks/${hook.id}`;
    const { secret, ...config } = hook.config;
    return {
      type: 'Repository',
      id: hook.id,
      name: hook.name,
      active: hook.active,
      events: hook.events,
      config: { ...config, ...(secret ? { secret: '********' } : {}) },
      updated_at: hook.updated_at,
      created_at: hook.created_at,
      url,
      test_url: `${url}/test`,
      ping_url: `${url}/pings`,
      deliveries_url: `${url}/deliveries`,
      last_response: hook.last_response,
    };
  }

  /** The `ping` event: sent to this hook alone, when it is created or asked for. */
  async function ping(hook: LocalHook, repo: GitRepository, ctx: JsonContext, actor: Actor): Promise<void> {
    const { last_response: _last, ...shown } = hookJson(hook);
    await deliverToHook(hook, 'ping', ctx.owner, {
      zen: 'Keep it logically awesome.',
      hook_id: hook.id,
      hook: shown,
      repository: await repositoryPayload(ctx, repo),
      sender: person(actor.login),
    });
  }

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

  /** Routes outside `/repos/{owner}/{repo}`; undefined when none matches. */
  async function globalRoute(
    method: string,
    path: string,
    body: Record<string, unknown>,
    actor: Actor,
  ): Promise<RouteAnswer | undefined> {
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/user') {
      if (actor.kind !== 'user') throw new GitHubApiError(403, 'Resource not accessible by integration');
      return {
        status: 200,
        json: { ...person(actor.login), name: actor.login, email: null, created_at: '2024-01-01T00:00:00Z' },
      };
    }
    if (method === 'GET' && (match = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(path))) {
      const [, org, slug, username] = match as unknown as [string, string, string, string];
      const members = teams.get(`${org}/${slug}`.toLowerCase());
      if (!members?.includes(username)) throw new GitHubApiError(404, 'Not Found');
      const teamId = stableId(`team:${org.toLowerCase()}/${slug.toLowerCase()}`);
      return {
        status: 200,
        json: {
          url: `${api}/teams/${teamId}/memberships/${encodeURIComponent(username)}`,
          role: 'member',
          state: 'active',
        },
      };
    }
    if (method === 'GET' && (match = /^\/(?:orgs|users)\/([^/]+)\/installation$/.exec(path))) {
      if (!app) return undefined;
      const owner = [...repos.values()]
        .map((r) => r.fullName.split('/')[0]!)
        .find((o) => o.toLowerCase() === match![1]!.toLowerCase());
      if (!owner) throw new GitHubApiError(404, 'Not Found');
      return { status: 200, json: installationJson(owner) };
    }
    if (method === 'GET' && path === '/app') {
      if (!app) return undefined;
      return {
        status: 200,
        json: {
          id: app.id,
          slug: appSlug,
          name: appSlug,
          owner: userJson(api, 'pushgate'),
          events: ['push', 'pull_request', 'issue_comment'],
        },
      };
    }
    if (method === 'POST' && (match = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path))) {
      if (!app) return undefined;
      const owner = [...repos.values()]
        .map((r) => r.fullName.split('/')[0]!)
        .find((o) => installationId(o) === Number(match![1]));
      if (!owner) throw new GitHubApiError(404, 'Not Found');
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      const expiresAt = Date.now() + (app.tokenTtlSeconds ?? 3600) * 1000;
      installationTokens.set(token, expiresAt);
      installationTokensCreated += 1;
      return {
        status: 201,
        json: {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: installationJson(owner).permissions,
          repository_selection: 'all',
        },
      };
    }
    if (method === 'POST' && path === '/_local/refs-updated') {
      // Only the stack (the post-receive hook, with the bot token) may say a branch moved.
      if (actor.kind !== 'bot') throw new GitHubApiError(403, 'Forbidden');
      const repo = body.repo;
      const updates = body.updates;
      if (typeof repo !== 'string') throw missingField('RefsUpdated', 'repo');
      if (!Array.isArray(updates)) throw missingField('RefsUpdated', 'updates');
      const valid = updates.filter(
        (u): u is RefUpdate =>
          typeof u === 'object' &&
          u !== null &&
          typeof (u as RefUpdate).ref === 'string' &&
          /^[0-9a-f]{40}$/.test(String((u as RefUpdate).before)) &&
          /^[0-9a-f]{40}$/.test(String((u as RefUpdate).after)),
      );
      const sent = await refsUpdated(repo, valid, optionalString(body.sender));
      return {
        status: 200,
        json: {
          deliveries: sent.map((d) => ({
            event: d.event,
            action: d.action,
            number: d.payload.number,
            status: d.status,
            body: d.body,
            ...(d.error ? { error: d.error } : {}),
          })),
        },
      };
    }
    return undefined;
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
    const answer = (result: RouteAnswer) => {
      if ('json' in result) {
        sendJson(res, result.status, result.json, { ...baseHeaders, ...result.headers });
      } else {
        const raw = Buffer.from(result.raw);
        res
          .writeHead(result.status, {
            ...baseHeaders,
            'content-type': result.contentType,
            'content-length': raw.length,
          })
          .end(raw);
      }
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
    const actor = token === undefined ? undefined : actorOf(token);
    if (actor === undefined) return fail(401, 'Bad credentials');
    if ('problem' in actor) return fail(401, actor.problem);

    const url = new URL(req.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    // App endpoints take the app's JWT and nothing else; the app's JWT opens nothing else.
    const appRoute =
      segments[1] === 'app' ||
      (segments[1] === 'repos' && segments[4] === 'installation' && segments.length === 5) ||
      ((segments[1] === 'orgs' || segments[1] === 'users') && segments[3] === 'installation' && segments.length === 4);
    if (appRoute && app && actor.kind !== 'app') return fail(401, 'A JSON web token could not be decoded');
    if (!appRoute && actor.kind === 'app') return fail(403, 'Resource not accessible by integration');

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

    try {
      if (segments[1] !== 'repos') {
        const result = await globalRoute(method, url.pathname, body, actor);
        return result ? answer(result) : fail(404, 'Not Found');
      }
      // ['', 'repos', owner, repo, ...rest]
      if (!segments[2] || !segments[3]) return fail(404, 'Not Found');
      const registered = repos.get(`${segments[2]}/${segments[3]}`.toLowerCase());
      if (!registered) return fail(404, 'Not Found');
      const { git: repo, fullName } = registered;
      const rest = segments.length > 4 ? `/${segments.slice(4).join('/')}` : '';
      let params: string[] = [];
      const route = routes.find((r) => {
        if (r.method !== method) return false;
        const match = r.pattern.exec(rest);
        if (match) params = match.slice(1);
        return match !== null;
      });
      if (!route) return fail(404, 'Not Found');
      const ctx = contextFor(fullName);
      answer(await route.run({ req, params, query: url.searchParams, body, repo, fullName, ctx, actor }));
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
    deliveries,
    hooks: (repo) => hooksOf(repo),
    get installationTokensCreated() {
      return installationTokensCreated;
    },
    addRepo,
    addPullRequest,
    pullRequest: (repo, number) => pulls.get(pullKey(repo, number)),
    setPermission: (login, permission) => void permissions.set(login, permission),
    addUser,
    setWebhook: (url, secret) => {
      webhook = { ...webhook, url, secret };
    },
    refsUpdated,
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

/** Managing hooks takes the repository's admin role (a token with `admin:repo_hook`). */
function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new GitHubApiError(404, 'Not Found');
}

/** A hook's config from a request: `url` required, `content_type` json or form, `insecure_ssl` 0 or 1. */
function hookConfig(value: unknown, previous: LocalHook['config'] | undefined): LocalHook['config'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (previous) throw invalidField('Hook', 'config');
    throw new GitHubApiError(422, 'Validation Failed', [
      { resource: 'Hook', code: 'custom', message: 'Config must contain URL' },
    ]);
  }
  const config = value as Record<string, unknown>;
  const url = config.url ?? previous?.url;
  if (typeof url !== 'string' || url === '') {
    throw new GitHubApiError(422, 'Validation Failed', [
      { resource: 'Hook', code: 'custom', message: 'Config must contain URL' },
    ]);
  }
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new GitHubApiError(422, 'Validation Failed', [
      { resource: 'Hook', code: 'custom', message: 'Url is invalid' },
    ]);
  }
  const contentType = config.content_type ?? previous?.content_type ?? 'form';
  if (contentType !== 'json' && contentType !== 'form') throw invalidField('Hook', 'content_type');
  const insecure = String(config.insecure_ssl ?? previous?.insecure_ssl ?? '0');
  if (insecure !== '0' && insecure !== '1') throw invalidField('Hook', 'insecure_ssl');
  const secret = config.secret === undefined ? previous?.secret : optionalString(config.secret);
  return { url, content_type: contentType, insecure_ssl: insecure, ...(secret ? { secret } : {}) };
}

function hookEvents(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((event) => typeof event !== 'string' || !/^(\*|[a-z_]+)$/.test(event))) {
    throw invalidField('Hook', 'events');
  }
  return [...new Set(value as string[])];
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Push access (write or more): who may label an issue. */
function canPush(actor: { role: Permission; kind: string }): boolean {
  return actor.kind === 'bot' || ['admin', 'maintain', 'write'].includes(actor.role);
}

/** An issue's `labels`: names, or objects with a `name`; undefined when it is neither. */
function labelNames(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const names: string[] = [];
  for (const label of value) {
    const name =
      typeof label === 'string' ? label : typeof label?.name === 'string' ? (label.name as string) : undefined;
    if (name === undefined || name.trim() === '') return undefined;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function missingField(resource: string, field: string): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', [{ resource, field, code: 'missing_field' }]);
}

function invalidField(resource: string, field: string): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', [{ resource, field, code: 'invalid' }]);
}

/** Only a comment's author may change it here (GitHub also lets maintainers). */
function notYours(): GitHubApiError {
  return new GitHubApiError(403, 'You must be the author of this comment to change it');
}

/** The address GitHub commits with for a user who keeps theirs private. */
function noreplyEmail(login: string): string {
  return `${stableId(`user:${login}`)}+${login}@users.noreply.github.com`;
}
