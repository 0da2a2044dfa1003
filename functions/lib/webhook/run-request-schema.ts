import * as z from './zod-mini.ts';

/*
 * The RunRequest contract (functions/lib/workflow/contract.ts) in zod/mini, for the webhook's cold
 * start: contract.ts is classic zod and holds every state's schema. Field by field the same rules;
 * test/unit/webhook/run-request-schema.test.ts holds the two to the same keys and the same verdicts
 * on accepted and rejected requests, so a field added there fails that test until it is added here.
 */

/** `owner/name`, as GitHub spells `repository.full_name` (contract.ts RepoName). */
export const RepoName = z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name'));

export const RunKind = z.enum(['push', 'plan', 'comment', 'drift', 'rollback']);

export const RunRequest = z.object({
  runId: z.string().check(z.minLength(1)),
  deliveryId: z.string().check(z.minLength(1)),
  kind: RunKind,
  repo: RepoName,
  ref: z.string(),
  branch: z.string(),
  defaultBranch: z.optional(z.string()),
  sha: z.string().check(z.regex(/^[0-9a-f]{40}$/)),
  before: z.optional(z.string()),
  actor: z.string(),
  commitMessage: z.optional(z.string().check(z.maxLength(4096))),
  pullRequest: z.optional(
    z.object({
      number: z.number().check(z.int(), z.positive()),
      baseRef: z.string(),
      baseSha: z.optional(z.string()),
      headRef: z.string(),
      fromFork: z.boolean(),
    }),
  ),
  comment: z.optional(
    z.object({
      id: z.number().check(z.int()),
      command: z.string(),
      args: z.array(z.string()),
      author: z.string(),
      authorAssociation: z.optional(z.string()),
    }),
  ),
  rollback: z.optional(
    z.object({
      environment: z.string().check(z.minLength(1)),
      projects: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    }),
  ),
  drift: z.optional(
    z.object({
      environment: z.string().check(z.minLength(1)),
      projects: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    }),
  ),
  receivedAt: z.string(),
});

/** The same type as contract.ts's (the test checks it both ways at compile time). */
export type RunRequest = z.infer<typeof RunRequest>;
