import * as z from 'zod';

export const APPROVE_ACTION = 'pushgate_approve';
export const REJECT_ACTION = 'pushgate_reject';

/** The parts of a `block_actions` interaction payload pushgate reads. */
const BlockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(100) }),
  /** Where the app answers the presser: Slack ignores a message in the HTTP response to block_actions. */
  response_url: z.string().max(2048).optional(),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() }))
    .min(1, 'no action'),
});

/** What an approve/reject button carries (functions/lib/notify/slack-blocks.ts puts it there). */
export const ApprovalButtonValue = z.object({
  runId: z.string().min(1).max(100),
  project: z.string().min(1).max(200),
  environment: z.string().min(1).max(200),
  planSha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex'),
});
export type ApprovalButtonValue = z.infer<typeof ApprovalButtonValue>;

export type SlackAction =
  | {
      kind: 'decision';
      decision: 'approve' | 'reject';
      user: string;
      value: ApprovalButtonValue;
      /** The payload's response_url, as sent (checked against the allowed origins before any POST). */
      responseUrl?: string;
    }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}

/** The form body Slack posts (`payload=<json>`) → the decision a button asks for, or why none. */
export function parseSlackAction(body: string): SlackAction {
  const payload = new URLSearchParams(body).get('payload');
  if (payload === null) return { kind: 'invalid', reason: 'form body has no payload field' };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { kind: 'invalid', reason: 'payload is not JSON' };
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (type !== 'block_actions') return { kind: 'ignored', reason: `${String(type)} interactions are ignored` };
  const parsed = BlockActions.safeParse(json);
  if (!parsed.success)
    return { kind: 'invalid', reason: `invalid block_actions payload at ${firstIssue(parsed.error)}` };
  const action = parsed.data.actions[0]!;
  const decision =
    action.action_id === APPROVE_ACTION ? 'approve' : action.action_id === REJECT_ACTION ? 'reject' : undefined;
  if (decision === undefined)
    return { kind: 'ignored', reason: `action ${action.action_id} is not pushgate's: ignored` };
  let value: unknown;
  try {
    value = JSON.parse(action.value ?? '');
  } catch {
    return { kind: 'invalid', reason: 'the button value is not JSON' };
  }
  const button = ApprovalButtonValue.safeParse(value);
  if (!button.success) return { kind: 'invalid', reason: `invalid button value at ${firstIssue(button.error)}` };
  const responseUrl = parsed.data.response_url;
  return {
    kind: 'decision',
    decision,
    user: parsed.data.user.id,
    value: button.data,
    ...(responseUrl ? { responseUrl } : {}),
  };
}
