import * as z from 'zod';
import { RepoName } from '../workflow/contract.ts';

/**
 * One approval decision as any channel asks for it: a `/pushgate approve|reject` comment (`github`),
 * a Slack button (`slack`) or `pushgate approve|reject` (`cli`). Either a run (`runId`) or a pull
 * request (`repo` + `pullRequest`: the runs of its head commit) names what is decided; `project` and
 * `environment` narrow it, and none means every target waiting for approval there.
 */
export const ApprovalDecisionRequest = z
  .object({
    decision: z.enum(['approve', 'reject']),
    via: z.enum(['github', 'slack', 'cli']),
    runId: z.string().min(1).max(100).optional(),
    repo: RepoName.optional(),
    pullRequest: z.number().int().positive().optional(),
    project: z.string().min(1).max(200).optional(),
    environment: z.string().min(1).max(200).optional(),
    /** The plan the approver saw (a Slack button carries it): refused when the target's plan is another. */
    planSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex')
      .optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
    actor: z.object({
      /** A GitHub login (comments). */
      github: z.string().min(1).max(100).optional(),
      /** A Slack user id (buttons), mapped to a GitHub login by the platform policy's slackUsers. */
      slack: z.string().min(1).max(100).optional(),
      /** The caller's AWS identity ARN (the CLI, from STS GetCallerIdentity). */
      aws: z.string().min(1).max(2048).optional(),
    }),
  })
  .refine(
    (request) => request.runId !== undefined || (request.repo !== undefined && request.pullRequest !== undefined),
    {
      message: 'name a run (runId) or a pull request (repo and pullRequest)',
    },
  )
  .refine((request) => request.actor[actorField(request.via)] !== undefined, {
    message: 'the actor is missing: github for via github, slack for via slack, aws for via cli',
    path: ['actor'],
  })
  .refine((request) => request.decision !== 'reject' || request.reason !== undefined, {
    message: 'a rejection needs a reason',
    path: ['reason'],
  });
export type ApprovalDecisionRequest = z.infer<typeof ApprovalDecisionRequest>;

/** Which actor field identifies the caller of each channel. */
export function actorField(via: 'github' | 'slack' | 'cli'): 'github' | 'slack' | 'aws' {
  return via === 'cli' ? 'aws' : via;
}

export const ApprovalOutcome = z.enum(['approved', 'rejected', 'refused']);
export type ApprovalOutcome = z.infer<typeof ApprovalOutcome>;

/** What decideApproval did, for each target it looked at; a refusal is a result with its reason. */
export const ApprovalDecisionResult = z.object({
  /** Something was decided and nothing was refused. */
  ok: z.boolean(),
  /** One text for people (a comment, a Slack reply, the CLI's output). */
  message: z.string(),
  targets: z.array(
    z.object({
      runId: z.string().optional(),
      project: z.string(),
      environment: z.string(),
      outcome: ApprovalOutcome,
      reason: z.string().optional(),
    }),
  ),
});
export type ApprovalDecisionResult = z.infer<typeof ApprovalDecisionResult>;
export type ApprovalTargetResult = ApprovalDecisionResult['targets'][number];
