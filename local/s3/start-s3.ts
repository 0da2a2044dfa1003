import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import S3rver from 's3rver';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import { checkHost, checkPayloadHash, s3Error, verifySignature, type AuthFailure } from '../aws/verify-request.ts';
import { BodyTooLargeError, listenOnLoopback, readBody, replayRequest } from '../http/loopback-server.ts';

export interface StartS3Options {
  /** The artifact bucket (plans, their JSON), created at start. */
  bucket: string;
  /** More buckets created at start (the buildspec bucket). */
  buckets?: string[];
  /** Keep objects in `<dataDir>/s3` across restarts; a temporary directory (removed at stop) when absent. */
  dataDir?: string;
  port?: number;
  /** The only credentials whose requests (and presigned URLs) are answered (the local stack's). */
  credentials: LocalCredentials;
}

export interface LocalS3 {
  url: string;
  bucket: string;
  /** Where the objects are on disk. */
  directory: string;
  /**
   * What the stack sets for every process that uses S3. SDK v3 honours all of these by itself:
   * the endpoint, and the checksum settings without which the SDK (since 3.729) sends
   * `aws-chunked` bodies with CRC32 trailers that s3rver would store verbatim.
   */
  env: {
    AWS_ENDPOINT_URL_S3: string;
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED';
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED';
  };
  /**
   * The client settings for this endpoint. `forcePathStyle: true` is required and has no environment
   * variable: SDK v3 otherwise addresses `<bucket>.127.0.0.1`, which does not resolve. Code that may
   * run against this stand-in must set it (e.g. when AWS_ENDPOINT_URL_S3 is set).
   */
  clientConfig: {
    endpoint: string;
    forcePathStyle: true;
    requestChecksumCalculation: 'WHEN_REQUIRED';
    responseChecksumValidation: 'WHEN_REQUIRED';
  };
  stop(): Promise<void>;
}

/**
 * S3 on 127.0.0.1 through s3rver (path-style only), silent, with the artifact bucket created. s3rver
 * checks no SigV4 signature: its request listener gets only the requests that are addressed to a
 * loopback host and signed with `credentials` (an Authorization header or a presigned URL); the
 * others get S3's XML 403.
 */
export async function startS3(options: StartS3Options): Promise<LocalS3> {
  const temporary = options.dataDir === undefined;
  const directory = temporary ? await mkdtemp(join(tmpdir(), 'pushgate-s3-')) : join(resolve(options.dataDir!), 's3');
  await mkdir(directory, { recursive: true });
  const s3rver = new S3rver({
    silent: true,
    directory,
    // s3rver cannot check SigV4 signatures (it lets them all through); verifyThenServe below does.
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: [options.bucket, ...(options.buckets ?? [])].map((name) => ({ name })),
  });
  await s3rver.configureBuckets();
  const s3rverListener = s3rver.callback();
  const auth = { credentials: options.credentials, signingName: 's3', service: 'S3' };

  async function verifyThenServe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const failure = checkHost(req.headers, auth.service) ?? (await verifySignature(req, auth));
    if (failure) {
      req.resume();
      sendS3Error(req, res, failure);
      return;
    }
    // The signature covers the declared x-amz-content-sha256; when that is a hash (not UNSIGNED-PAYLOAD
    // or a STREAMING-… upload), the body must have it, as S3 checks. Only a signed request gets here.
    let request = req;
    const declared = req.headers['x-amz-content-sha256'];
    if (typeof declared === 'string' && /^[0-9a-f]{64}$/i.test(declared)) {
      let body: Buffer;
      try {
        body = await readBody(req, MAX_HASHED_BODY);
      } catch (error) {
        if (!(error instanceof BodyTooLargeError)) throw error;
        sendS3Error(req, res, {
          reason: 'payload',
          message: `the local S3 checks x-amz-content-sha256 on bodies up to ${MAX_HASHED_BODY} bytes; send larger ones as UNSIGNED-PAYLOAD`,
        });
        return;
      }
      const mismatch = checkPayloadHash(req.headers, body);
      if (mismatch) {
        sendS3Error(req, res, mismatch);
        return;
      }
      request = replayRequest(req, body);
    }
    acceptAnyAccessKey(request);
    s3rverListener(request, res);
  }

  const server = await listenOnLoopback((req, res) => {
    verifyThenServe(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-length': 0 }).end();
    });
  }, options.port);
  const url = server.url;
  return {
    url,
    bucket: options.bucket,
    directory,
    env: {
      AWS_ENDPOINT_URL_S3: url,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
    clientConfig: {
      endpoint: url,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    stop: async () => {
      await server.stop();
      if (temporary) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A body whose sha256 is checked is held in memory for that: 1 GiB at most. */
const MAX_HASHED_BODY = 1024 * 1024 * 1024;

/** S3's XML error (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html); a HEAD answer has no body. */
function sendS3Error(req: IncomingMessage, res: ServerResponse, failure: AuthFailure): void {
  const { code, status } = s3Error(failure);
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(failure.message)}</Message>` +
        `<RequestId>${requestId}</RequestId></Error>`;
  res
    .writeHead(status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': requestId,
    })
    .end(body);
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

/** The one access key s3rver knows. https://github.com/jamhall/s3rver#supported-clients */
const S3RVER_KEY = 'S3RVER';

/**
 * s3rver rejects every access key but its own with InvalidAccessKeyId (it does not check SigV4
 * signatures at all). The stack's key has been verified by then, so it is swapped for s3rver's.
 */
function acceptAnyAccessKey(req: IncomingMessage): void {
  const authorization = req.headers.authorization;
  if (authorization) {
    req.headers.authorization = authorization
      .replace(/Credential=[^/,\s]+\//, `Credential=${S3RVER_KEY}/`)
      .replace(/^AWS [^:]+:/, `AWS ${S3RVER_KEY}:`);
  }
  if (req.url?.includes('X-Amz-Credential=')) {
    req.url = req.url.replace(/X-Amz-Credential=[^%&/]+(%2F|\/)/i, `X-Amz-Credential=${S3RVER_KEY}$1`);
  }
}
