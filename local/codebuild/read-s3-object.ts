import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalCodeBuildConfigError } from './errors.ts';

/** The text of an S3 object; rejects with the SDK's error (e.g. `NoSuchKey`) when it cannot be read. */
export type ReadS3Object = (bucket: string, key: string) => Promise<string>;

export interface S3ObjectReader {
  read: ReadS3Object;
  /** Frees the client's sockets; reading again creates a new client. */
  close(): void;
}

/**
 * Reads objects from the S3 the builds' environment names (AWS_ENDPOINT_URL_S3 and the stack's
 * credentials, which the local stack passes in `env`), as CodeBuild reads a buildspec in S3 with its
 * service role. Never real AWS: without an endpoint every read fails and says what is missing, and
 * nothing of this process' own environment (a developer's credentials) is used.
 */
export function s3ObjectReader(env: Record<string, string | undefined>, region: string): S3ObjectReader {
  let client: S3Client | undefined;
  const connect = (): S3Client => {
    const endpoint = env.AWS_ENDPOINT_URL_S3;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!endpoint || !accessKeyId || !secretAccessKey) {
      throw new LocalCodeBuildConfigError(
        'the local CodeBuild reads a buildspec in S3 only from the local S3: its env needs AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      );
    }
    client ??= new S3Client({
      endpoint,
      region,
      credentials: { accessKeyId, secretAccessKey },
      // The local S3 has no per-bucket host names (see local/s3/start-s3.ts, clientConfig).
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return client;
  };
  return {
    async read(bucket, key) {
      const output = await connect().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await output.Body?.transformToString('utf8')) ?? '';
    },
    close() {
      client?.destroy();
      client = undefined;
    },
  };
}
