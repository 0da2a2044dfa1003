import { decideApproval } from '../approval/decide-approval.ts';
import { PushgateError } from '../errors.ts';
import type { DecideApprovalDeps } from '../approval/types.ts';
import type { IntakeRequest } from '../webhook/types.ts';
import { parseSlackAction } from './parse-slack-action.ts';
import { postToResponseUrl, type ResponseUrlDeps, type ResponseUrlReply } from './post-response.ts';
import { verifySlackSignature } from './verify-slack-signature.ts';

/** Slack posts interactions as small forms; this is far above any of them. */
const MAX_BODY_BYTES = 64 * 1024;

export interface SlackActionsDeps extends DecideApprovalDeps {
  /** The app's signing secret (read on first use; undefined: not configured). */
  signingSecret: () => Promise<string | undefined>;
  /**
   * Where the signing secret is configured (SLACK_SIGNING_SECRET_PARAMETER's value), named in the
   * log when it is missing or cannot be read.
   */
  signingSecretParameter?: string;
  /** How decisions are posted to the payload's response_url (allowed origins, fetch, timeout). */
  responseUrl?: ResponseUrlDeps;
}

/** The 401 body when pushgate cannot verify anything: it has no signing secret. */
export const NO_SIGNING_SECRET = 'not verified: pushgate has no Slack signing secret';

export interface SlackActionResponse {
  statusCode: number;
  body: Record<string, unknown>;
  /** For the log line. */
  outcome: 'decided' | 'refused' | 'ignored' | 'unauthorized' | 'invalid' | 'error';
  /** What failed, for the log (never sent to Slack). */
  error?: unknown;
  /** What became of the reply posted to the payload's response_url (absent: the payload had none). */
  reply?: ResponseUrlReply;
}

/** The message Slack shows the presser only. https://docs.slack.dev/interactivity/handling-user-interaction */
function ephemeral(text: string): Record<string, unknown> {
  return { response_type: 'ephemeral', replace_original: false, text };
}

/**
 * POST /slack/actions: an approve or reject button pressed in a pushgate Slack message. The raw
 * body's signature and timestamp are checked first (anything else, also every request while no
 * signing secret can be read, is 401 and changes nothing); then the button becomes a decideApproval
 * (via `slack`, the presser's Slack user id mapped to a GitHub login by the platform policy). The
 * answer is an ephemeral message saying what happened, also when the decision could not be taken
 * (GitHub or DynamoDB failing), POSTed to the payload's response_url (the only place Slack shows
 * it) and kept in the 200's body; never a 5xx.
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

  // Without a signing secret nothing can be verified: a 401 like any unverified request (changing
  // nothing), and the log says what to create.
  let secret: string | undefined;
  let secretError: unknown;
  try {
    secret = await deps.signingSecret();
  } catch (error) {
    secretError = error;
  }
  if (secret === undefined || secret === '') {
    return {
      statusCode: 401,
      body: { error: NO_SIGNING_SECRET },
      outcome: 'unauthorized',
      error: new PushgateError(noSecretMessage(deps.signingSecretParameter, secretError !== undefined), {
        cause: secretError,
      }),
    };
  }
  const unverified = verifySlackSignature(body, headers, secret, now());
  if (unverified !== undefined) return { statusCode: 401, body: { error: unverified }, outcome: 'unauthorized' };

  const action = parseSlackAction(body.toString('utf8'));
  if (action.kind === 'invalid') return { statusCode: 400, body: { error: action.reason }, outcome: 'invalid' };
  if (action.kind === 'ignored') return { statusCode: 200, body: ephemeral(action.reason), outcome: 'ignored' };

  let response: SlackActionResponse;
  try {
    const result = await decideApproval(
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
    response = { statusCode: 200, body: ephemeral(result.message), outcome: result.ok ? 'decided' : 'refused' };
  } catch (error) {
    // GitHub or DynamoDB failing: Slack shows a 5xx as a bare failure, so the presser is told why.
    response = {
      statusCode: 200,
      body: ephemeral(`could not decide now: ${shortReason(error)}, try again`),
      outcome: 'error',
      error,
    };
  }
  // Slack ignores a message in the response to block_actions: the presser only sees what is posted
  // to the response_url. The body keeps it too (other clients, tests); a failed post is logged.
  if (action.responseUrl !== undefined) {
    response.reply = await postToResponseUrl(action.responseUrl, response.body, deps.responseUrl);
  }
  return response;
}

function noSecretMessage(parameter: string | undefined, readFailed: boolean): string {
  const where =
    parameter === undefined || parameter === ''
      ? 'set SLACK_SIGNING_SECRET_PARAMETER to an SSM SecureString parameter (/pushgate/<stage>/slack-signing-secret)'
      : `create the SSM SecureString parameter ${parameter} (SLACK_SIGNING_SECRET_PARAMETER)`;
  return `${readFailed ? 'could not read the Slack signing secret' : 'no Slack signing secret configured'}: ${where} holding the Slack app's signing secret; every /slack/actions request is refused (401) until then`;
}

/** pushgate's own errors say what failed; others are named only (their messages can carry internal ARNs). */
function shortReason(error: unknown): string {
  if (error instanceof PushgateError) return error.message.split('\n')[0]!.slice(0, 200);
  return error instanceof Error ? error.name : 'unexpected error';
}
