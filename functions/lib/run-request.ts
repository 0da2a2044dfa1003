import * as z from 'zod';

/** `owner/name`, as GitHub spells `repository.full_name`. */
export const RepoName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name');

export const RunKind = z.enum(['push', 'plan', 'comment', 'drift']);
export type RunKind = z.infer<typeof RunKind>;

/**
 * The execution input of `state-machines/deploy.asl.yml`: a normalised run request, never the raw
 * webhook payload (Step Functions takes at most 256 KB of input). Built by the webhook intake,
 * read by Validate and every later step.
 */
export const RunRequest = z.object({
  runId: z.string().min(1),
  deliveryId: z.string().min(1),
  kind: RunKind,
  repo: RepoName,
  /** Full ref, e.g. `refs/heads/main`; for a pull request, the head ref. */
  ref: z.string(),
  /** The branch the run is about: the pushed branch, or a pull request's base branch. */
  branch: z.string(),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  /** The commit before the push; absent (or all zeros) on a first push: then every project counts as changed. */
  before: z.string().optional(),
  /** Who caused the run: the pusher, the pull request author or the commenter. */
  actor: z.string(),
  commitMessage: z.string().max(4096).optional(),
  pullRequest: z
    .object({
      number: z.number().int().positive(),
      baseRef: z.string(),
      baseSha: z.string().optional(),
      headRef: z.string(),
      /** A fork's pull request never gets credentials: plan-only, no secrets. */
      fromFork: z.boolean(),
    })
    .optional(),
  comment: z
    .object({
      id: z.number().int(),
      /** `plan`, `apply`, `approve`, … the word after `/pushgate `. */
      command: z.string(),
      args: z.array(z.string()),
      author: z.string(),
      authorAssociation: z.string().optional(),
    })
    .optional(),
  receivedAt: z.string(),
});
export type RunRequest = z.infer<typeof RunRequest>;
