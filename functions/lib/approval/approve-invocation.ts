import * as z from 'zod';

/**
 * What `pushgate approve|reject` sends the approve function (Lambda Invoke, RequestResponse): the
 * decision, and a presigned STS GetCallerIdentity URL that proves who is calling.
 */
export const ApproveInvocation = z.object({
  decision: z.enum(['approve', 'reject']),
  runId: z.string().min(1).max(100),
  project: z.string().min(1).max(200).optional(),
  environment: z.string().min(1).max(200).optional(),
  reason: z.string().trim().min(1).max(1000).optional(),
  identity: z.object({ presignedUrl: z.string().min(1).max(8192) }),
});
export type ApproveInvocation = z.infer<typeof ApproveInvocation>;
