import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { startS3 as startLocalS3 } from '../../local/s3/start-s3.ts';

export interface RunningS3 {
  endpoint: string;
  client: S3Client;
  /** The only credentials the server accepts (`client` signs with them): give them to handlers and builds. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  /** What a handler's own client needs from the environment to reach this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The local S3 (s3rver behind the stack's signature check) on a free loopback port (temporary
 * directory, silent) with one fresh bucket and a client for it. It accepts the `test` credentials the
 * tests give handlers in their environment.
 */
export async function startS3(): Promise<RunningS3> {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const local = await startLocalS3({ bucket: `pushgate-test-${randomUUID()}`, credentials });
  const client = new S3Client({ ...local.clientConfig, region: 'us-east-1', credentials });
  return {
    endpoint: local.url,
    client,
    credentials,
    bucket: local.bucket,
    env: { ...local.env },
    async stop() {
      client.destroy();
      await local.stop();
    },
  };
}
