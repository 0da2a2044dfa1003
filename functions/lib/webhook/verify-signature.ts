import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from './errors.ts';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Checks `X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the webhook secret, hex, prefixed
 * `sha256=`. Secrets are tried in order (current, then the previous one during a rotation); the
 * comparison is constant-time on equal-length digests. The SHA-1 `X-Hub-Signature` is refused: GitHub
 * sends it only for compatibility.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export function verifySignature(
  body: string | Buffer,
  headers: Record<string, string>,
  secrets: readonly string[],
): void {
  const header = headers['x-hub-signature-256'];
  if (header === undefined || header === '') {
    throw new SignatureError(
      headers['x-hub-signature']
        ? 'only SHA-256 signatures are accepted: X-Hub-Signature-256 is missing'
        : 'missing X-Hub-Signature-256 header',
    );
  }
  const match = SIGNATURE.exec(header);
  if (!match) throw new SignatureError('X-Hub-Signature-256 is not sha256=<64 hex digits>');
  const expected = Buffer.from(match[1]!, 'hex');
  for (const secret of secrets) {
    const actual = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(actual, expected)) return;
  }
  throw new SignatureError('signature does not match the body');
}
