import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import {
  ALGORITHM_IDENTIFIER,
  getCanonicalHeaders,
  getSigningKey,
  SignatureV4,
  UNSIGNED_PAYLOAD,
} from '@smithy/signature-v4';
import { BodyTooLargeError, readBody } from '../http/loopback-server.ts';
import type { LocalCredentials } from './local-credentials.ts';

// Who may use the local AWS stand-ins. They listen on 127.0.0.1 only, but a web page the developer
// opens can still reach them: through DNS rebinding, its own host name resolves to 127.0.0.1 and the
// browser sends it requests with `Host: <its name>`; and CodeBuild and Lambda run whatever they are
// asked (bash, handlers). So, as AWS does, every stand-in answers only requests signed (Signature
// Version 4) with the credentials of this run of the stack, and addressed to a loopback host name,
// which a rebinding page cannot send. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html

/** AWS refuses a request whose signing time is more than 15 minutes off its own clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL can be valid: 7 days. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The host names a browser sends for the loopback interface, with or without a port. */
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

export type AuthFailureReason =
  /** `Host` is not a loopback name: a web page through DNS rebinding, or a proxy. */
  | 'host'
  /** Neither an Authorization header nor a presigned query. */
  | 'missing'
  /** A signature that cannot be read (not SigV4, a part missing, the host not signed, …). */
  | 'malformed'
  /** Signed with another access key. */
  | 'unknown-key'
  /** Signed more than 15 minutes from now. */
  | 'skewed'
  /** A presigned URL past its expiry. */
  | 'expired'
  /** The signature is not the one the stack's secret gives. */
  | 'signature'
  /** The signed payload hash (x-amz-content-sha256) is not the body's. */
  | 'payload';

export interface AuthFailure {
  reason: AuthFailureReason;
  message: string;
}

/** Which stand-in verifies, for its messages, and with what. */
export interface RequestAuth {
  /** The stack's credentials: the only ones accepted. */
  credentials: LocalCredentials;
  /** The service's SigV4 signing name (`dynamodb`, `s3`, `states`, `codebuild`, `lambda`). */
  signingName: string;
  /** For messages: `the local <service> …`. */
  service: string;
}

/** The parts of a request the signature covers (an IncomingMessage is one). */
export interface RequestToVerify {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

/** The error code and status each protocol answers a failure with, so that SDK errors read as against AWS. */
const ERRORS: Record<AuthFailureReason, { json: string; s3: string; s3Status?: number }> = {
  host: { json: 'AccessDeniedException', s3: 'AccessDenied' },
  missing: { json: 'MissingAuthenticationTokenException', s3: 'AccessDenied' },
  malformed: { json: 'IncompleteSignatureException', s3: 'AuthorizationHeaderMalformed' },
  'unknown-key': { json: 'UnrecognizedClientException', s3: 'InvalidAccessKeyId' },
  skewed: { json: 'InvalidSignatureException', s3: 'RequestTimeTooSkewed' },
  expired: { json: 'InvalidSignatureException', s3: 'AccessDenied' },
  signature: { json: 'InvalidSignatureException', s3: 'SignatureDoesNotMatch' },
  payload: { json: 'InvalidSignatureException', s3: 'XAmzContentSHA256Mismatch', s3Status: 400 },
};

/** The `__type` / `x-amzn-ErrorType` of a failure in the JSON protocols (DynamoDB, Step Functions, CodeBuild, Lambda). */
export function jsonErrorCode(failure: AuthFailure): string {
  return ERRORS[failure.reason].json;
}

/** The `<Code>` and HTTP status of a failure in S3's XML errors. */
export function s3Error(failure: AuthFailure): { code: string; status: number } {
  const { s3, s3Status } = ERRORS[failure.reason];
  return { code: s3, status: s3Status ?? 403 };
}

/** The status of every failure in the JSON protocols, as on AWS (S3's is in `s3Error`). */
export const AUTH_FAILURE_STATUS = 403;

/**
 * Undefined when `Host` names the loopback interface (127.0.0.1, localhost, [::1], any port), else
 * the failure. A page served from evil.example that rebinds its name to 127.0.0.1 can make the
 * browser connect here, but the browser still sends `Host: evil.example`.
 */
export function checkHost(headers: IncomingHttpHeaders, service: string): AuthFailure | undefined {
  const host = headers.host;
  if (host !== undefined && LOOPBACK_HOST.test(host)) return undefined;
  return {
    reason: 'host',
    message:
      `the local ${service} answers only requests addressed to 127.0.0.1, localhost or [::1]; this one names ` +
      `${host === undefined ? 'no host' : `Host: ${printable(host)}`} (a web page reaching this port through DNS rebinding?)`,
  };
}

/**
 * What a stand-in whose bodies are small (all but S3) does first: the Host check, then the whole body
 * (at most `maxBodyBytes`, which the signature covers), then its signature. The body is handed on;
 * nothing else reads the request.
 */
export async function readVerifiedRequest(
  req: IncomingMessage,
  auth: RequestAuth,
  maxBodyBytes: number,
): Promise<{ body: Buffer } | { refused: AuthFailure } | { tooLarge: BodyTooLargeError }> {
  const wrongHost = checkHost(req.headers, auth.service);
  if (wrongHost) {
    req.resume();
    return { refused: wrongHost };
  }
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { tooLarge: error };
    throw error;
  }
  const unsigned = await verifySignature(req, { ...auth, body });
  return unsigned ? { refused: unsigned } : { body };
}

/**
 * Verifies a request's AWS Signature Version 4, in an Authorization header or a presigned query
 * (`X-Amz-Algorithm`, …, `X-Amz-Signature`), by computing it again with @smithy/signature-v4 from the
 * stack's secret and comparing in constant time. Undefined when it is the stack's, else the failure.
 *
 * The payload hash is the body's sha256 when `body` is given, and the `x-amz-content-sha256` header
 * must then agree with it. S3 signs the header's value instead (a sha256, `UNSIGNED-PAYLOAD` or a
 * `STREAMING-…` chunked upload; presigned URLs are `UNSIGNED-PAYLOAD`) and its body may be streamed:
 * without `body`, the caller checks a sha256 header against the body itself (`checkPayloadHash`).
 */
export async function verifySignature(
  req: RequestToVerify,
  auth: RequestAuth & { body?: Uint8Array; now?: Date },
): Promise<AuthFailure | undefined> {
  const fail = (reason: AuthFailureReason, message: string): AuthFailure => ({ reason, message });
  const s3 = auth.signingName === 's3';
  const url = req.url ?? '/';
  if (!url.startsWith('/')) return fail('malformed', 'the request target is not a path');
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const query = parseQuery(queryStart === -1 ? '' : url.slice(queryStart + 1));
  if (!query) return fail('malformed', 'the query string is not URI-encoded');

  const authorization = headerValue(req.headers, 'authorization');
  const presigned = query['X-Amz-Algorithm'] !== undefined;
  if (authorization === undefined && !presigned) {
    return fail(
      'missing',
      `the local ${auth.service} answers only requests signed (AWS Signature Version 4) with the credentials ` +
        'pushgate dev printed (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); this one is not signed',
    );
  }
  if (authorization !== undefined && presigned) {
    return fail('malformed', "found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header");
  }
  const parsed = presigned ? parsePresigned(query) : parseAuthorization(authorization!, req.headers);
  if (typeof parsed === 'string') return fail('malformed', parsed);
  const { credential, signedHeaders, signature, longDate } = parsed;

  const [accessKeyId, shortDate, region, service, terminator, ...extra] = credential.split('/');
  if (!accessKeyId || !shortDate || !region || !service || terminator !== 'aws4_request' || extra.length > 0) {
    return fail(
      'malformed',
      `the credential ${printable(credential)} is not <key>/<date>/<region>/<service>/aws4_request`,
    );
  }
  if (accessKeyId !== auth.credentials.accessKeyId) {
    return fail(
      'unknown-key',
      `The security token included in the request is invalid: the local ${auth.service} accepts only the ` +
        'access key pushgate dev printed (AWS_ACCESS_KEY_ID)',
    );
  }
  if (service !== auth.signingName) {
    return fail('signature', `Credential should be scoped to correct service: '${auth.signingName}'`);
  }
  const signedAt = parseLongDate(longDate);
  if (signedAt === undefined) return fail('malformed', `${printable(longDate)} is not a date like 20260101T000000Z`);
  if (shortDate !== longDate.slice(0, 8)) {
    return fail('malformed', `the credential's date ${printable(shortDate)} is not the signing date's`);
  }
  const now = (auth.now ?? new Date()).getTime();
  if (presigned) {
    const expires = Number(query['X-Amz-Expires']);
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
      return fail('malformed', `X-Amz-Expires must be from 1 to ${MAX_PRESIGNED_SECONDS} seconds`);
    }
    if (signedAt - MAX_CLOCK_SKEW_MS > now) return fail('skewed', `the URL is signed for the future (${longDate})`);
    if (now > signedAt + expires * 1000) return fail('expired', 'Request has expired');
  } else if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
    return fail(
      'skewed',
      `Signature expired: ${longDate} is more than 15 minutes from the local ${auth.service}'s time ` +
        `(${toLongDate(new Date(now))})`,
    );
  }

  const names = signedHeaders.split(';');
  if (!names.includes('host')) return fail('malformed', "the signed headers must include 'host'");
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = headerValue(req.headers, name);
    if (value === undefined || name !== name.toLowerCase()) {
      return fail('malformed', `the signed header ${printable(name)} is not in the request`);
    }
    headers[name] = value;
  }

  const payloadHash = payloadHashOf(req.headers, { s3, presigned, body: auth.body });
  if (typeof payloadHash !== 'string') return payloadHash;

  const expected = await (s3 ? S3_SIGNER : SIGNER).recompute({
    request: { method: req.method ?? 'GET', protocol: 'http:', hostname: '', path, query, headers },
    canonicalHeaders: getCanonicalHeaders({ headers } as never, undefined, new Set(names)),
    payloadHash,
    longDate,
    scope: [shortDate, region, service, 'aws4_request'].join('/'),
    credentials: auth.credentials,
    shortDate,
    region,
    service,
  });
  if (!sameHex(expected, signature)) {
    return fail(
      'signature',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        `Access Key and signing method (the local ${auth.service} takes the AWS_SECRET_ACCESS_KEY pushgate dev printed).`,
    );
  }
  return undefined;
}

const PAYLOAD_MISMATCH: AuthFailure = {
  reason: 'payload',
  message: 'The provided x-amz-content-sha256 header does not match what was computed: the body is not the one signed',
};

/**
 * The payload hash the signature covers. Outside S3 it is the body's sha256 (an x-amz-content-sha256
 * header must agree); S3 signs its x-amz-content-sha256 header, which it requires (a presigned URL:
 * UNSIGNED-PAYLOAD), and a sha256 there must be the body's when the body is given.
 */
function payloadHashOf(
  headers: IncomingHttpHeaders,
  request: { s3: boolean; presigned: boolean; body: Uint8Array | undefined },
): string | AuthFailure {
  const declared = headerValue(headers, 'x-amz-content-sha256');
  if (!request.s3) {
    const computed = request.body === undefined ? EMPTY_SHA256 : sha256Hex(request.body);
    if (declared !== undefined && declared.toLowerCase() !== computed) return PAYLOAD_MISMATCH;
    return declared ?? computed;
  }
  if (request.presigned) return UNSIGNED_PAYLOAD;
  if (declared === undefined) {
    return { reason: 'malformed', message: 'Missing required header for this request: x-amz-content-sha256' };
  }
  if (!/^(UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+|[0-9a-f]{64})$/i.test(declared)) {
    return {
      reason: 'malformed',
      message: 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…, or a valid sha256 value',
    };
  }
  return (request.body && checkPayloadHash(headers, request.body)) ?? declared;
}

/**
 * For S3 bodies verified after the signature (streamed, read only for a signed request): undefined
 * when the x-amz-content-sha256 header is not a sha256 (UNSIGNED-PAYLOAD, STREAMING-…) or is `body`'s.
 */
export function checkPayloadHash(headers: IncomingHttpHeaders, body: Uint8Array): AuthFailure | undefined {
  const declared = headerValue(headers, 'x-amz-content-sha256');
  if (declared === undefined || !/^[0-9a-f]{64}$/i.test(declared)) return undefined;
  return declared.toLowerCase() === sha256Hex(body) ? undefined : PAYLOAD_MISMATCH;
}

/** Hex sha256 of a body, as `x-amz-content-sha256` carries it. */
export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

interface ParsedSignature {
  credential: string;
  signedHeaders: string;
  signature: string;
  /** The signing time, `YYYYMMDDTHHMMSSZ`. */
  longDate: string;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` with its X-Amz-Date (or Date) header; a string says what is wrong. */
function parseAuthorization(authorization: string, headers: IncomingHttpHeaders): ParsedSignature | string {
  const match = /^AWS4-HMAC-SHA256\s+(.+)$/.exec(authorization.trim());
  if (!match) return 'the Authorization header is not an AWS4-HMAC-SHA256 (Signature Version 4) signature';
  const parts = new Map<string, string>();
  for (const part of match[1]!.split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) parts.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = parts.get('Credential');
  const signedHeaders = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    return 'the Authorization header requires Credential, SignedHeaders and Signature';
  }
  const amzDate = headerValue(headers, 'x-amz-date');
  const date = headerValue(headers, 'date');
  const longDate = amzDate ?? (date === undefined ? undefined : toLongDate(new Date(date)));
  if (longDate === undefined) return "the signature requires an 'X-Amz-Date' or a 'Date' header";
  return { credential, signedHeaders, signature, longDate };
}

/** The SigV4 parameters of a presigned URL's query. */
function parsePresigned(query: Record<string, string | string[]>): ParsedSignature | string {
  const one = (name: string) => {
    const value = query[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  if (one('X-Amz-Algorithm') !== ALGORITHM_IDENTIFIER) return 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"';
  const credential = one('X-Amz-Credential');
  const signedHeaders = one('X-Amz-SignedHeaders');
  const signature = one('X-Amz-Signature');
  const longDate = one('X-Amz-Date');
  if (!credential || !signedHeaders || !signature || !longDate || one('X-Amz-Expires') === undefined) {
    return (
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, ' +
      'X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.'
    );
  }
  return { credential, signedHeaders, signature, longDate };
}

/**
 * The query as the signer reads it: names and values URI-decoded (the canonical query encodes them
 * again), repeated names as arrays. Undefined when it is not valid percent-encoding.
 */
function parseQuery(text: string): Record<string, string | string[]> | undefined {
  const query: Record<string, string | string[]> = {};
  try {
    for (const pair of text.split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const name = decodeURIComponent(equals === -1 ? pair : pair.slice(0, equals));
      const value = equals === -1 ? '' : decodeURIComponent(pair.slice(equals + 1));
      const previous = query[name];
      if (previous === undefined) query[name] = value;
      else query[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    }
  } catch {
    return undefined;
  }
  return query;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Epoch ms of `YYYYMMDDTHHMMSSZ`, undefined when it is not one. */
function parseLongDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hours, minutes, seconds] = match.map(Number) as number[];
  const time = Date.UTC(year!, month! - 1, day!, hours, minutes, seconds);
  return Number.isNaN(time) ? undefined : time;
}

function toLongDate(date: Date): string | undefined {
  return Number.isNaN(date.getTime())
    ? undefined
    : date
        .toISOString()
        .replace(/\.\d{3}/, '')
        .replace(/[-:]/g, '');
}

/** Constant-time comparison of two hex signatures (of any length: a wrong length is just unequal). */
function sameHex(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A header value as it may be put in a message: printable ASCII, at most 100 characters. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 and HMAC-SHA256 from node:crypto, in the shape @smithy/signature-v4 takes (like @smithy/hash-node). */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * @smithy/signature-v4 (the AWS SDK's own signer) computing a given request's signature for given
 * signing parameters, instead of signing it now: the canonical request and the string to sign are
 * its own, so the verification follows every rule the SDK signs by (path escaping, query and
 * header canonicalisation).
 */
class SignatureRecomputer extends SignatureV4 {
  constructor(uriEscapePath: boolean) {
    // Credentials and region are given per request (recompute); these are never used.
    super({
      service: 'unused',
      region: 'unused',
      credentials: { accessKeyId: '', secretAccessKey: '' },
      sha256: Sha256,
      uriEscapePath,
    });
  }

  async recompute(input: {
    request: {
      method: string;
      protocol: string;
      hostname: string;
      path: string;
      query: Record<string, string | string[]>;
      headers: Record<string, string>;
    };
    canonicalHeaders: Record<string, string>;
    payloadHash: string;
    longDate: string;
    scope: string;
    credentials: LocalCredentials;
    shortDate: string;
    region: string;
    service: string;
  }): Promise<string> {
    const canonicalRequest = this.createCanonicalRequest(input.request, input.canonicalHeaders, input.payloadHash);
    const stringToSign = await this.createStringToSign(
      input.longDate,
      input.scope,
      canonicalRequest,
      ALGORITHM_IDENTIFIER,
    );
    const key = await getSigningKey(Sha256, input.credentials, input.shortDate, input.region, input.service);
    return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  }
}

/** Every service but S3 escapes the (already URI-encoded) path once more in the canonical request. */
const SIGNER = new SignatureRecomputer(true);
/** S3 signs the path as it is sent. */
const S3_SIGNER = new SignatureRecomputer(false);
