import { MalformedPayloadError } from './errors.ts';
import { RepoName } from './run-request-schema.ts';
import * as z from './zod-mini.ts';

/*
 * Only the fields pushgate reads, checked at the boundary; z.object drops the rest (a pull_request
 * payload is ~25 KB, mostly URLs). Field references:
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads
 * zod/mini (zod-mini.ts): the webhook's cold start.
 */

const Sha = z.string().check(z.regex(/^[0-9a-f]{40}$/, 'expected a 40-digit hex sha'));
/** `default_branch` decides which pushgate.yml is trusted (the default branch's); every repository event carries it. */
const Repository = z.object({ full_name: RepoName, default_branch: z.optional(z.string().check(z.minLength(1))) });
const User = z.object({ login: z.string() });

export const PushPayload = z.object({
  ref: z.string(),
  before: Sha,
  after: Sha,
  created: z.boolean(),
  deleted: z.boolean(),
  /** null when the push added no commit: a deleted branch, or a new branch at an existing commit. */
  head_commit: z.nullable(z.object({ id: z.string(), message: z.string() })),
  pusher: z.object({ name: z.string() }),
  sender: z.optional(User),
  repository: Repository,
});
export type PushPayload = z.infer<typeof PushPayload>;

const PullRequestSide = z.object({ ref: z.string(), sha: Sha });

export const PullRequestPayload = z.object({
  action: z.string(),
  number: z.number().check(z.int(), z.positive()),
  pull_request: z.object({
    user: User,
    // `repo` is null once the fork it came from is deleted.
    head: z.extend(PullRequestSide, { repo: z.nullable(Repository) }),
    base: z.extend(PullRequestSide, { repo: Repository }),
  }),
  repository: Repository,
  sender: z.optional(User),
});
export type PullRequestPayload = z.infer<typeof PullRequestPayload>;

export const IssueCommentPayload = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number().check(z.int(), z.positive()),
    /** Present only when the issue is a pull request. */
    pull_request: z.optional(z.object({ url: z.optional(z.string()) })),
  }),
  comment: z.object({
    id: z.number().check(z.int()),
    body: z.nullable(z.string()),
    user: User,
    author_association: z.optional(z.string()),
  }),
  repository: Repository,
  sender: z.optional(User),
});
export type IssueCommentPayload = z.infer<typeof IssueCommentPayload>;

/** Sent once when a hook is created; an organization hook's ping has no repository. */
export const PingPayload = z.object({
  zen: z.optional(z.string()),
  hook_id: z.optional(z.number()),
  repository: z.optional(Repository),
});
export type PingPayload = z.infer<typeof PingPayload>;

/** Any other event: only what the allowlist and the ignore reason need. */
export const OtherPayload = z.object({
  action: z.optional(z.string()),
  repository: z.optional(Repository),
});
export type OtherPayload = z.infer<typeof OtherPayload>;

export type WebhookEvent =
  | { name: 'push'; payload: PushPayload }
  | { name: 'pull_request'; payload: PullRequestPayload }
  | { name: 'issue_comment'; payload: IssueCommentPayload }
  | { name: 'ping'; payload: PingPayload }
  | { name: 'other'; event: string; payload: OtherPayload };

/** Parses the payload of event `name` (the X-GitHub-Event header) from its JSON text. */
export function parseEvent(name: string, text: string): WebhookEvent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the body: keep it as the cause, out of the answer.
    throw new MalformedPayloadError('body is not valid JSON', { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MalformedPayloadError('payload is not a JSON object');
  }
  switch (name) {
    case 'push':
      return { name, payload: check(PushPayload, json, name) };
    case 'pull_request':
      return { name, payload: check(PullRequestPayload, json, name) };
    case 'issue_comment':
      return { name, payload: check(IssueCommentPayload, json, name) };
    case 'ping':
      return { name, payload: check(PingPayload, json, name) };
    default:
      return { name: 'other', event: name, payload: check(OtherPayload, json, name) };
  }
}

function check<T>(schema: z.ZodMiniType<T>, json: unknown, name: string): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // Path and rule only: never the offending value.
  throw new MalformedPayloadError(
    `invalid ${name} payload at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    {
      cause: result.error,
    },
  );
}
