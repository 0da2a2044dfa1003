import * as z from 'zod';
import { RepoName } from '../workflow/contract.ts';

/**
 * A `/pushgate` comment command that is not a workflow run (`approve`, `reject`, `unlock`, `help`,
 * anything unknown): what the webhook intake hands the commands function (Lambda Invoke, `Event`).
 */
export const CommandRequest = z.object({
  /** The id the delivery was accepted under (a redelivery is answered as a duplicate, never run twice). */
  commandId: z.string().min(1),
  deliveryId: z.string().min(1),
  repo: RepoName,
  pullRequest: z.number().int().positive(),
  commentId: z.number().int(),
  /** Lower-cased: `approve`, `reject`, … */
  command: z.string().min(1).max(100),
  args: z.array(z.string().max(1000)).max(100),
  /** The commenter's GitHub login as the intake read it; the commands function reads the comment again. */
  author: z.string().min(1).max(100),
  receivedAt: z.string(),
});
export type CommandRequest = z.infer<typeof CommandRequest>;

/** What the commands function did, for its log line; the reply says it to people. */
export interface CommandResult {
  command: string;
  /** `ignored`: the event does not match the comment GitHub has (no reply; `reason` says why). */
  outcome: 'done' | 'refused' | 'help' | 'ignored';
  reply: string;
  reason?: string;
  /** The reply could not be posted (after the command was carried out): logged, never retried. */
  replyError?: string;
}
