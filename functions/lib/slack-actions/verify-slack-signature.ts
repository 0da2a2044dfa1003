import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses requests more than five minutes off, either way; so do we (replays). */
export const MAX_SLACK_SKEW_SECONDS = 5 * 60;

const SIGNATURE = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

/**
 * Checks a request from Slack on its raw body: `X-Slack-Signature` must be `v0=` + hex
 * HMAC-SHA256(signing secret, `v0:<X-Slack-Request-Timestamp>:<raw body>`), compared in constant
 * time, and the timestamp within five minutes of now. Undefined when it holds, else why not (never
 * the expected signature).
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
export function verifySlackSignature(
  body: Buffer,
  headers: Record<string, string>,
  secret: string,
  now: Date,
): string | undefined {
  if (secret === '') return 'no signing secret configured';
  const signature = headers['x-slack-signature'];
  const timestamp = headers['x-slack-request-timestamp'];
  if (!signature) return 'missing X-Slack-Signature header';
  if (!timestamp) return 'missing X-Slack-Request-Timestamp header';
  if (!TIMESTAMP.test(timestamp)) return 'X-Slack-Request-Timestamp is not a Unix time';
  if (Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > MAX_SLACK_SKEW_SECONDS) {
    return 'X-Slack-Request-Timestamp is more than five minutes from now';
  }
  const match = SIGNATURE.exec(signature);
  if (!match) return 'X-Slack-Signature is not v0=<64 hex digits>';
  const expected = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`v0:${timestamp}:`, 'utf8'), body]))
    .digest();
  const actual = Buffer.from(match[1]!, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return 'signature does not match the body';
  }
  return undefined;
}
