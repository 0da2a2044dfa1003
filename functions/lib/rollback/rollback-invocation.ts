import * as z from 'zod';
import { RepoName } from '../workflow/contract.ts';

/**
 * What `pushgate rollback` sends the rollback function (Lambda Invoke, RequestResponse): where to roll
 * back, optionally to which commit (a recorded deployment's sha, or its first 7+ characters), and a
 * presigned STS GetCallerIdentity URL that proves who is asking.
 */
export const RollbackInvocation = z.strictObject({
  repo: RepoName,
  environment: z.string().min(1).max(200),
  project: z.string().min(1).max(200).optional(),
  to: z
    .string()
    .regex(/^[0-9a-f]{7,40}$/, 'expected a commit sha (7 to 40 lowercase hex characters)')
    .optional(),
  identity: z.strictObject({ presignedUrl: z.string().min(1).max(8192) }),
});
export type RollbackInvocation = z.infer<typeof RollbackInvocation>;

/** One project the rollback restores: from what its environment runs now to the earlier commit. */
export interface RollbackTargetPlan {
  project: string;
  from: string;
  to: string;
}

/**
 * The rollback function's answer. `refused` is the caller's to fix (exit 1); `unknown` names an
 * environment, project or commit there is no deployment of (a usage error: exit 2).
 */
export type RollbackResult =
  | {
      ok: true;
      runId: string;
      executionArn: string;
      repo: string;
      environment: string;
      sha: string;
      actor: string;
      targets: RollbackTargetPlan[];
    }
  | { ok: false; code: 'invalid' | 'unknown' | 'refused'; message: string };
