import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { startS3 as startLocalS3 } from '../../local/s3/start-s3.ts';

export interface RunningS3 {
  endpoint: string;
  client: S3Client;
  bucket: string;
  /** What a handler's own client needs from the environment to reach this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** s3rver on a free loopback port (temporary directory, silent) with one fresh bucket and a client for it. */
export async function startS3(): Promise<RunningS3> {
  const local = await startLocalS3({ bucket: `pushgate-test-${randomUUID()}` });
  const client = new S3Client({
    ...local.clientConfig,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint: local.url,
    client,
    bucket: local.bucket,
    env: { ...local.env },
    async stop() {
      client.destroy();
      await local.stop();
    },
  };
}
