import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import S3rver from 's3rver';
import { listenOnLoopback } from '../http/loopback-server.ts';

export interface StartS3Options {
  /** The artifact bucket (plans, their JSON), created at start. */
  bucket: string;
  /** Keep objects in `<dataDir>/s3` across restarts; a temporary directory (removed at stop) when absent. */
  dataDir?: string;
  port?: number;
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

/** S3 on 127.0.0.1 through s3rver (path-style only), silent, with the artifact bucket created. */
export async function startS3(options: StartS3Options): Promise<LocalS3> {
  const temporary = options.dataDir === undefined;
  const directory = temporary ? await mkdtemp(join(tmpdir(), 'pushgate-s3-')) : join(resolve(options.dataDir!), 's3');
  await mkdir(directory, { recursive: true });
  const s3rver = new S3rver({
    silent: true,
    directory,
    // Local clients sign with made-up keys; the signature is never what a test is about.
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket }],
  });
  await s3rver.configureBuckets();
  const s3rverListener = s3rver.callback();
  const server = await listenOnLoopback((req, res) => {
    acceptAnyAccessKey(req);
    s3rverListener(req, res);
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

/** The one access key s3rver knows. https://github.com/jamhall/s3rver#supported-clients */
const S3RVER_KEY = 'S3RVER';

/**
 * s3rver rejects every access key but its own with InvalidAccessKeyId (it does not check SigV4
 * signatures at all). The local stack's processes sign with whatever credentials they were given, so
 * the key id is swapped for s3rver's before it looks.
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
