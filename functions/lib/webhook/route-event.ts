import type { CommandRequest } from '../commands/command-request.ts';
import { isWorkflowCommand } from '../commands/is-workflow-command.ts';
import type { RunKind, RunRequest } from '../workflow/contract.ts';
import { CommandRequest as CommandRequestSchema } from './command-request-schema.ts';
import { MalformedPayloadError } from './errors.ts';
import type { IssueCommentPayload, PullRequestPayload, PushPayload, WebhookEvent } from './parse-event.ts';
import { parseCommand } from './parse-command.ts';
import { RunRequest as RunRequestSchema } from './run-request-schema.ts';

export interface RouteContext {
  deliveryId: string;
  runId: string;
  /** ISO 8601 time the delivery arrived. */
  receivedAt: string;
}

/**
 * A run to start, a comment command for the commands function (`approve`, `reject`, `unlock`,
 * `help`, anything unknown; its commandId is the context's runId), or why the event starts nothing
 * (answered 202 `{ ignored }`).
 */
export type Route = { kind: RunKind; request: RunRequest } | { command: CommandRequest } | { ignored: string };

const SKIP_DEPLOY = '[skip deploy]';
const PLAN_ACTIONS: ReadonlySet<string> = new Set(['opened', 'synchronize', 'reopened']);
/** issue_comment payloads never carry the pull request's head commit: Validate resolves it. */
const UNKNOWN_SHA = '0'.repeat(40);
const MAX_COMMIT_MESSAGE = 4096;

/**
 * Decides what an event means for pushgate (DESIGN.md, Triggers): a push to a branch deploys, a
 * pull request opened / synchronized / reopened plans, a `/pushgate …` comment on a pull request runs
 * that command; everything else is ignored with a reason. The request is checked against the
 * RunRequest contract here (its zod/mini copy, run-request-schema.ts, which a test holds to
 * contract.ts's), so what reaches the workflow is always valid.
 */
export function routeEvent(event: WebhookEvent, context: RouteContext): Route {
  switch (event.name) {
    case 'push':
      return routePush(event.payload, context);
    case 'pull_request':
      return routePullRequest(event.payload, context);
    case 'issue_comment':
      return routeComment(event.payload, context);
    case 'ping':
      return { ignored: 'ping' };
    case 'other':
      return { ignored: `${event.event} events start no run` };
  }
}

function routePush(payload: PushPayload, context: RouteContext): Route {
  if (payload.deleted) return { ignored: `${payload.ref} was deleted` };
  if (!payload.ref.startsWith('refs/heads/')) {
    return {
      ignored: payload.ref.startsWith('refs/tags/') ? `tag push (${payload.ref})` : `not a branch (${payload.ref})`,
    };
  }
  if (!payload.head_commit) {
    return { ignored: payload.created ? 'branch created without new commits' : 'push without a head commit' };
  }
  const message = payload.head_commit.message;
  if (message.toLowerCase().includes(SKIP_DEPLOY)) return { ignored: `${SKIP_DEPLOY} in the head commit message` };
  return build('push', context, {
    repo: payload.repository.full_name,
    ...defaultBranchOf(payload),
    ref: payload.ref,
    branch: payload.ref.slice('refs/heads/'.length),
    sha: payload.after,
    before: payload.before,
    actor: payload.sender?.login ?? payload.pusher.name,
    commitMessage: truncate(message, MAX_COMMIT_MESSAGE),
  });
}

function routePullRequest(payload: PullRequestPayload, context: RouteContext): Route {
  if (!PLAN_ACTIONS.has(payload.action)) return { ignored: `pull_request ${payload.action} starts no plan` };
  const { head, base, user } = payload.pull_request;
  return build('plan', context, {
    repo: payload.repository.full_name,
    ...defaultBranchOf(payload),
    // The base repository always has this ref, also for a fork's pull request, so CodeBuild can fetch it.
    ref: `refs/pull/${payload.number}/head`,
    branch: base.ref,
    sha: head.sha,
    actor: user.login,
    pullRequest: {
      number: payload.number,
      baseRef: base.ref,
      baseSha: base.sha,
      headRef: head.ref,
      // A deleted fork (repo null) is still a fork.
      fromFork: head.repo?.full_name !== base.repo.full_name,
    },
  });
}

function routeComment(payload: IssueCommentPayload, context: RouteContext): Route {
  if (payload.action !== 'created') return { ignored: `issue_comment ${payload.action} is not a command` };
  if (!payload.issue.pull_request) return { ignored: 'comment on an issue, not on a pull request' };
  const command = parseCommand(payload.comment.body);
  if (!command) return { ignored: 'comment is not a /pushgate command' };
  const number = payload.issue.number;
  if (!isWorkflowCommand(command.command)) {
    const parsed = CommandRequestSchema.safeParse({
      commandId: context.runId,
      deliveryId: context.deliveryId,
      repo: payload.repository.full_name,
      pullRequest: number,
      commentId: payload.comment.id,
      command: command.command,
      args: command.args,
      author: payload.comment.user.login,
      receivedAt: context.receivedAt,
    });
    if (!parsed.success) {
      // A person wrote too many or too long words: nothing is wrong with GitHub's delivery (no 400).
      const issue = parsed.error.issues[0];
      return { ignored: `comment does not make a valid command at ${issue?.path.join('.')}: ${issue?.message}` };
    }
    return { command: parsed.data };
  }
  return build('comment', context, {
    repo: payload.repository.full_name,
    ...defaultBranchOf(payload),
    ref: `refs/pull/${number}/head`,
    // issue_comment carries neither the head sha nor the branches, and fetching them would need a
    // GitHub call on the intake path: Validate resolves them from the pull request. Until then the
    // sha is all zeros, the branches are empty and the pull request counts as a fork (no credentials).
    branch: '',
    sha: UNKNOWN_SHA,
    actor: payload.comment.user.login,
    pullRequest: { number, baseRef: '', headRef: '', fromFork: true },
    comment: {
      id: payload.comment.id,
      command: command.command,
      args: command.args,
      author: payload.comment.user.login,
      authorAssociation: payload.comment.author_association,
    },
  });
}

function build(
  kind: RunKind,
  context: RouteContext,
  fields: Omit<RunRequest, 'runId' | 'deliveryId' | 'kind' | 'receivedAt'>,
): Route {
  const result = RunRequestSchema.safeParse({
    ...fields,
    kind,
    runId: context.runId,
    deliveryId: context.deliveryId,
    receivedAt: context.receivedAt,
  });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MalformedPayloadError(
      `event does not make a valid run request at ${issue?.path.join('.')}: ${issue?.message}`,
      { cause: result.error },
    );
  }
  return { kind, request: result.data };
}

function defaultBranchOf(payload: { repository: { default_branch?: string | undefined } }): { defaultBranch?: string } {
  const branch = payload.repository.default_branch;
  return branch === undefined ? {} : { defaultBranch: branch };
}

/** Cuts at a code point boundary, so a surrogate pair is never split. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
