import { describe, expect, it } from 'vitest';
import { SignatureError } from '../../../functions/lib/webhook/errors.ts';
import { verifySignature } from '../../../functions/lib/webhook/verify-signature.ts';
import { sign } from '../../helpers/sign.ts';

// GitHub's documented test vector: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_PAYLOAD = 'Hello, World!';
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

const headers = (signature: string) => ({ 'x-hub-signature-256': signature });

describe('verifySignature', () => {
  it("accepts GitHub's documented test vector", () => {
    expect(() => verifySignature(GITHUB_PAYLOAD, headers(GITHUB_SIGNATURE), [GITHUB_SECRET])).not.toThrow();
    expect(() =>
      verifySignature(Buffer.from(GITHUB_PAYLOAD), headers(GITHUB_SIGNATURE), [GITHUB_SECRET]),
    ).not.toThrow();
    expect(sign(GITHUB_SECRET, GITHUB_PAYLOAD)).toBe(GITHUB_SIGNATURE);
  });

  it('accepts upper-case hex digits', () => {
    expect(() =>
      verifySignature(GITHUB_PAYLOAD, headers(`sha256=${GITHUB_SIGNATURE.slice(7).toUpperCase()}`), [GITHUB_SECRET]),
    ).not.toThrow();
  });

  it('rejects the test vector with another secret or another body', () => {
    expect(() => verifySignature(GITHUB_PAYLOAD, headers(GITHUB_SIGNATURE), ['another secret'])).toThrow(
      SignatureError,
    );
    expect(() => verifySignature('Hello, World?', headers(GITHUB_SIGNATURE), [GITHUB_SECRET])).toThrow(SignatureError);
  });

  it('tries the current secret, then the previous one (rotation)', () => {
    const body = '{"zen":"rotate"}';
    expect(() => verifySignature(body, headers(sign('old', body)), ['new', 'old'])).not.toThrow();
    expect(() => verifySignature(body, headers(sign('new', body)), ['new', 'old'])).not.toThrow();
    expect(() => verifySignature(body, headers(sign('older', body)), ['new', 'old'])).toThrow(
      'signature does not match',
    );
  });

  it('checks the raw bytes, not their text decoding', () => {
    // Invalid UTF-8: decoding to text and back would change the bytes and so the signature.
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x80, 0x7d]);
    expect(() => verifySignature(bytes, headers(sign('s', bytes)), ['s'])).not.toThrow();
    expect(() => verifySignature(bytes.toString('utf8'), headers(sign('s', bytes)), ['s'])).toThrow(SignatureError);
  });

  it.each([
    ['a missing header', {}, 'missing X-Hub-Signature-256 header'],
    ['an empty header', { 'x-hub-signature-256': '' }, 'missing X-Hub-Signature-256 header'],
    [
      'only the SHA-1 X-Hub-Signature',
      { 'x-hub-signature': 'sha1=7d38cdd689735b008b3c702edd92eea23791c5f6' },
      'only SHA-256 signatures are accepted',
    ],
    [
      'no sha256= prefix',
      { 'x-hub-signature-256': GITHUB_SIGNATURE.slice('sha256='.length) },
      'not sha256=<64 hex digits>',
    ],
    [
      'a sha1= prefix',
      { 'x-hub-signature-256': GITHUB_SIGNATURE.replace('sha256', 'sha1') },
      'not sha256=<64 hex digits>',
    ],
    ['a short digest', { 'x-hub-signature-256': GITHUB_SIGNATURE.slice(0, -2) }, 'not sha256=<64 hex digits>'],
    ['a long digest', { 'x-hub-signature-256': `${GITHUB_SIGNATURE}00` }, 'not sha256=<64 hex digits>'],
    ['non-hex digits', { 'x-hub-signature-256': `sha256=${'z'.repeat(64)}` }, 'not sha256=<64 hex digits>'],
  ])('rejects %s with a SignatureError (401)', (_case, given: Record<string, string>, message) => {
    let thrown: unknown;
    try {
      verifySignature(GITHUB_PAYLOAD, given, [GITHUB_SECRET]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SignatureError);
    expect((thrown as SignatureError).statusCode).toBe(401);
    expect((thrown as SignatureError).message).toContain(message);
  });

  it('rejects everything when no secret is given', () => {
    expect(() => verifySignature(GITHUB_PAYLOAD, headers(GITHUB_SIGNATURE), [])).toThrow(SignatureError);
  });
});
