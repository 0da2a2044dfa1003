import { decideApproval } from '../approval/decide-approval.ts';
import { PushgateError } from '../errors.ts';
import type { DecideApprovalDeps } from '../approval/types.ts';
import type { IntakeRequest } from '../webhook/types.ts';
import { parseSlackAction } from './parse-slack-action.ts';
import { verifySlackSignature } from './verify-slack-signature.ts';

/** Slack posts interactions as small forms; this is far above any of them. */
const MAX_BODY_BYTES = 64 * 1024;

export interface SlackActionsDeps extends DecideApprovalDeps {
  /** The app's signing secret (read on first use; undefined: not configured). */
  signingSecret: () => Promise<string | undefined>;
}

export interface SlackActionResponse {
  statusCode: number;
  body: Record<string, unknown>;
  /** For the log line. */
  outcome: 'decided' | 'refused' | 'ignored' | 'unauthorized' | 'invalid' | 'error';
  /** What failed, for the log (never sent to Slack). */
  error?: unknown;
}

/** The message Slack shows the presser only. https://docs.slack.dev/interactivity/handling-user-interaction */
function ephemeral(text: string): Record<string, unknown> {
  return { response_type: 'ephemeral', replace_original: false, text };
}

/**
 * POST /slack/actions: an approve or reject button pressed in a pushgate Slack message. The raw
 * body's signature and timestamp are checked first (anything else is 401 and changes nothing);
 * then the button becomes a decideApproval (via `slack`, the presser's Slack user id mapped to a
 * GitHub login by the platform policy). The answer is an ephemeral message saying what happened,
 * also when the decision could not be taken (GitHub or DynamoDB failing): a 200, never a 5xx.
 */
export async function handleSlackAction(request: IntakeRequest, deps: SlackActionsDeps): Promise<SlackActionResponse> {
  const now = deps.now ?? (() => new Date());
  if (request.method.toUpperCase() !== 'POST') {
    return { statusCode: 405, body: { error: 'Slack posts interactions with POST' }, outcome: 'invalid' };
  }
  const raw = request.body ?? '';
  if (Buffer.byteLength(raw, request.isBase64Encoded ? 'base64' : 'utf8') > MAX_BODY_BYTES) {
    return { statusCode: 413, body: { error: 'body too large' }, outcome: 'invalid' };
  }
  const body = request.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name.toLowerCase()] = value;

  const secret = await deps.signingSecret();
  if (secret === undefined || secret === '') {
    return { statusCode: 500, body: { error: 'the Slack signing secret is not configured' }, outcome: 'error' };
  }
  const unverified = verifySlackSignature(body, headers, secret, now());
  if (unverified !== undefined) return { statusCode: 401, body: { error: unverified }, outcome: 'unauthorized' };

  const action = parseSlackAction(body.toString('utf8'));
  if (action.kind === 'invalid') return { statusCode: 400, body: { error: action.reason }, outcome: 'invalid' };
  if (action.kind === 'ignored') return { statusCode: 200, body: ephemeral(action.reason), outcome: 'ignored' };

  let result;
  try {
    result = await decideApproval(
      {
        decision: action.decision,
        via: 'slack',
        runId: action.value.runId,
        project: action.value.project,
        environment: action.value.environment,
        planSha256: action.value.planSha256,
        ...(action.decision === 'reject' ? { reason: 'rejected in Slack' } : {}),
        actor: { slack: action.user },
      },
      deps,
    );
  } catch (error) {
    // GitHub or DynamoDB failing: Slack shows a 5xx as a bare failure, so the presser is told why.
    return {
      statusCode: 200,
      body: ephemeral(`could not decide now: ${shortReason(error)}, try again`),
      outcome: 'error',
      error,
    };
  }
  return { statusCode: 200, body: ephemeral(result.message), outcome: result.ok ? 'decided' : 'refused' };
}

/** pushgate's own errors say what failed; others are named only (their messages can carry internal ARNs). */
function shortReason(error: unknown): string {
  if (error instanceof PushgateError) return error.message.split('\n')[0]!.slice(0, 200);
  return error instanceof Error ? error.name : 'unexpected error';
}
