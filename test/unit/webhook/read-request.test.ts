import { describe, expect, it } from 'vitest';
import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError } from '../../../functions/lib/webhook/errors.ts';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WEBHOOK_PATHS,
  readRequest,
} from '../../../functions/lib/webhook/read-request.ts';
import type { IntakeRequest } from '../../../functions/lib/webhook/types.ts';

const options = { paths: DEFAULT_WEBHOOK_PATHS, maxBodyBytes: 100 };
const request = (overrides: Partial<IntakeRequest> = {}): IntakeRequest => ({
  method: 'POST',
  path: '/webhook',
  headers: {},
  body: '{}',
  isBase64Encoded: false,
  ...overrides,
});

describe('readRequest', () => {
  it('lower-cases header names and drops undefined values', () => {
    const read = readRequest(
      request({ headers: { 'X-GitHub-Event': 'push', 'CONTENT-TYPE': 'application/json', 'x-empty': undefined } }),
      options,
    );
    expect(read.headers).toEqual({ 'x-github-event': 'push', 'content-type': 'application/json' });
  });

  it('keeps a text body as it is and decodes a base64 body to its bytes', () => {
    expect(readRequest(request({ body: '{"a":"é"}' }), options).body).toBe('{"a":"é"}');
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
    const read = readRequest(request({ body: bytes.toString('base64'), isBase64Encoded: true }), options);
    expect(Buffer.isBuffer(read.body)).toBe(true);
    expect(read.body).toEqual(bytes);
  });

  it('treats a missing body as empty', () => {
    expect(readRequest(request({ body: undefined as unknown as string }), options).body).toBe('');
  });

  it.each(['GET', 'PUT', 'HEAD', 'DELETE'])('refuses %s with 405', (method) => {
    expect(() => readRequest(request({ method }), options)).toThrow(MethodNotAllowedError);
  });

  it('accepts lower-case post', () => {
    expect(() => readRequest(request({ method: 'post' }), options)).not.toThrow();
  });

  it.each(['/webhook', '/webhook/', '/prod/webhook', '/webhooks/github', '/dev/webhooks/github/'])(
    'accepts the path %s',
    (path) => {
      expect(() => readRequest(request({ path }), options)).not.toThrow();
    },
  );

  it.each(['/', '/hooks', '/webhook/extra', '/mywebhook', '/webhooks', '/webhooks/gitlab'])(
    'answers 404 for %s',
    (path) => {
      expect(() => readRequest(request({ path }), options)).toThrow(NotFoundError);
    },
  );

  it('answers 413 past the limit, in bytes not characters', () => {
    expect(() => readRequest(request({ body: 'x'.repeat(100) }), options)).not.toThrow();
    const error = (() => {
      try {
        readRequest(request({ body: 'é'.repeat(51) }), options);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).statusCode).toBe(413);
  });

  it('measures a base64 body by its decoded size', () => {
    expect(() =>
      readRequest(request({ body: Buffer.alloc(100).toString('base64'), isBase64Encoded: true }), options),
    ).not.toThrow();
    expect(() =>
      readRequest(request({ body: Buffer.alloc(101).toString('base64'), isBase64Encoded: true }), options),
    ).toThrow(PayloadTooLargeError);
  });

  it('takes the mount points it is given', () => {
    expect(() =>
      readRequest(request({ path: '/hooks/pushgate' }), { ...options, paths: ['/hooks/pushgate'] }),
    ).not.toThrow();
    expect(() => readRequest(request({ path: '/webhook' }), { ...options, paths: ['/hooks/pushgate'] })).toThrow(
      NotFoundError,
    );
  });

  it('defaults to a 6 MB limit', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(6 * 1024 * 1024);
  });
});
