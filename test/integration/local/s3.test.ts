import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startS3, type LocalS3 } from '../../../local/s3/start-s3.ts';

// The credentials the local S3 accepts: the stack's, here made up for each test file.
const credentials = createLocalCredentials();

describe('local S3 (s3rver)', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3({ bucket: 'pushgate-artifacts', credentials });
    client = new S3Client({ ...s3.clientConfig, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it('creates the artifact bucket', async () => {
    const head = await client.send(new HeadBucketCommand({ Bucket: 'pushgate-artifacts' }));
    expect(head.$metadata.httpStatusCode).toBe(200);
  });

  it('stores and returns the exact bytes of a plan artifact', async () => {
    const plan = Buffer.from([...Array(4096).keys()].map((i) => i % 256));
    const key = 'runs/01H/network/prod/plan.bin';
    await client.send(new PutObjectCommand({ Bucket: 'pushgate-artifacts', Key: key, Body: plan }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'pushgate-artifacts', Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(plan).digest('hex'));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'pushgate-artifacts', Prefix: 'runs/01H/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
  });

  it('stores a streamed upload without aws-chunked framing (checksums WHEN_REQUIRED)', async () => {
    const body = Readable.from([Buffer.from('{"resource_changes":'), Buffer.from('[]}')]);
    await client.send(
      new PutObjectCommand({ Bucket: 'pushgate-artifacts', Key: 'plan.json', Body: body, ContentLength: 23 }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: 'pushgate-artifacts', Key: 'plan.json' }));
    expect(await got.Body!.transformToString()).toBe('{"resource_changes":[]}');
  });

  it('answers NoSuchKey for a missing object', async () => {
    const error = await client
      .send(new GetObjectCommand({ Bucket: 'pushgate-artifacts', Key: 'nope' }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('NoSuchKey');
  });
});

describe('local S3 with a data directory', () => {
  it('keeps objects across restarts under <dataDir>/s3', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pushgate-s3-data-'));
    try {
      const first = await startS3({ bucket: 'pushgate-artifacts', dataDir, credentials });
      expect(first.directory).toBe(join(dataDir, 's3'));
      const client1 = new S3Client({ ...first.clientConfig, region: 'us-east-1', credentials });
      await client1.send(new PutObjectCommand({ Bucket: 'pushgate-artifacts', Key: 'a.json', Body: '{"a":1}' }));
      client1.destroy();
      await first.stop();
      expect(existsSync(join(dataDir, 's3'))).toBe(true);

      const second = await startS3({ bucket: 'pushgate-artifacts', dataDir, credentials });
      const client2 = new S3Client({ ...second.clientConfig, region: 'us-east-1', credentials });
      const got = await client2.send(new GetObjectCommand({ Bucket: 'pushgate-artifacts', Key: 'a.json' }));
      expect(await got.Body!.transformToString()).toBe('{"a":1}');
      client2.destroy();
      await second.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
