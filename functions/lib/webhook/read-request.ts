import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError } from './errors.ts';
import type { IntakeRequest } from './types.ts';

/** Lambda's synchronous invocation payload limit; API Gateway refuses bigger bodies anyway. */
export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

/** Where the local stack (local/api-gateway) and serverless.yml (the HTTP API route) mount the hook. */
export const DEFAULT_WEBHOOK_PATHS: readonly string[] = ['/webhook', '/webhooks/github'];

export interface ReadRequestOptions {
  /** Where the hook is mounted; a stage prefix in front of one (`/prod/webhook`) is accepted. */
  paths: readonly string[];
  maxBodyBytes: number;
}

export interface ReadRequest {
  /** Lower-cased names: HTTP header names are case-insensitive (RFC 9110 §5.1). */
  headers: Record<string, string>;
  /**
   * The raw body: a string when API Gateway passed it as text (its UTF-8 encoding is the bytes GitHub
   * sent and signed), a Buffer when it passed base64.
   */
  body: string | Buffer;
}

/** Checks method, path and size, and recovers the raw body; first in the intake, before any parsing. */
export function readRequest(request: IntakeRequest, options: ReadRequestOptions): ReadRequest {
  if (request.method.toUpperCase() !== 'POST') throw new MethodNotAllowedError(request.method);
  if (!matchesPath(request.path, options.paths)) throw new NotFoundError(request.path);

  const raw = request.body ?? '';
  // Measured before decoding, so an oversized body is refused without copying it.
  const bytes = Buffer.byteLength(raw, request.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes > options.maxBodyBytes) throw new PayloadTooLargeError(bytes, options.maxBodyBytes);

  const headers: Record<string, string> = {};
  for (const name in request.headers) {
    const value = request.headers[name];
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return { headers, body: request.isBase64Encoded ? Buffer.from(raw, 'base64') : raw };
}

function matchesPath(actual: string, expected: readonly string[]): boolean {
  const path = actual.length > 1 && actual.endsWith('/') ? actual.slice(0, -1) : actual;
  return expected.some((mount) => path === mount || path.endsWith(mount));
}
