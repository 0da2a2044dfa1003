import { RepoName } from './run-request-schema.ts';
import * as z from './zod-mini.ts';

/*
 * CommandRequest (functions/lib/commands/command-request.ts, what the commands function parses) in
 * zod/mini, for the webhook's cold start. test/unit/webhook/command-request-schema.test.ts holds the
 * two to the same keys and the same verdicts.
 */
export const CommandRequest = z.object({
  commandId: z.string().check(z.minLength(1)),
  deliveryId: z.string().check(z.minLength(1)),
  repo: RepoName,
  pullRequest: z.number().check(z.int(), z.positive()),
  commentId: z.number().check(z.int()),
  command: z.string().check(z.minLength(1), z.maxLength(100)),
  args: z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(100)),
  author: z.string().check(z.minLength(1), z.maxLength(100)),
  receivedAt: z.string(),
});
export type CommandRequest = z.infer<typeof CommandRequest>;
