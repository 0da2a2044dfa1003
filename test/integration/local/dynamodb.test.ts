import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { LocalDynamoDBError, startDynamoDB } from '../../../local/dynamodb/start-dynamodb.ts';

// The credentials the local DynamoDB accepts: the stack's, here made up for each test file.
const credentials = createLocalCredentials();

describe('local DynamoDB (dynalite)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pushgate-dynamodb-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('creates the table from infra/table.yml and is reached through AWS_ENDPOINT_URL_DYNAMODB', async () => {
    const dynamodb = await startDynamoDB({ tableName: 'pushgate-test', credentials });
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.env.AWS_ENDPOINT_URL_DYNAMODB;
    // No endpoint in the client config: the SDK must find it in the environment, as the functions do.
    const client = new DynamoDBClient({ region: 'us-east-1', credentials });
    try {
      const table = await client.send(new DescribeTableCommand({ TableName: 'pushgate-test' }));
      expect(table.Table?.TableStatus).toBe('ACTIVE');
      expect(table.Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(table.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);
      const doc = DynamoDBDocumentClient.from(client);
      await doc.send(
        new PutCommand({ TableName: 'pushgate-test', Item: { pk: 'RUN#1', sk: 'RUN', status: 'queued' } }),
      );
      const got = await doc.send(new GetCommand({ TableName: 'pushgate-test', Key: { pk: 'RUN#1', sk: 'RUN' } }));
      expect(got.Item?.status).toBe('queued');
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
      client.destroy();
      await dynamodb.stop();
    }
  });

  it('keeps data on disk across restarts with dataDir', async () => {
    const first = await startDynamoDB({ tableName: 'pushgate-test', dataDir, credentials });
    const client1 = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: first.url, region: 'us-east-1', credentials }),
    );
    await client1.send(
      new PutCommand({ TableName: 'pushgate-test', Item: { pk: 'LOCK#x', sk: 'LOCK', owner: 'run-1' } }),
    );
    client1.destroy();
    await first.stop();

    const second = await startDynamoDB({ tableName: 'pushgate-test', dataDir, credentials });
    expect(second.path).toBe(join(dataDir, 'dynamodb'));
    const client2 = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: second.url, region: 'us-east-1', credentials }),
    );
    try {
      const got = await client2.send(new GetCommand({ TableName: 'pushgate-test', Key: { pk: 'LOCK#x', sk: 'LOCK' } }));
      expect(got.Item?.owner).toBe('run-1');
    } finally {
      client2.destroy();
      await second.stop();
    }
  });

  it('refuses a data directory that another instance holds', async () => {
    const first = await startDynamoDB({ tableName: 'pushgate-test', dataDir, credentials });
    try {
      await expect(startDynamoDB({ tableName: 'pushgate-test', dataDir, credentials })).rejects.toThrow(
        LocalDynamoDBError,
      );
    } finally {
      await first.stop();
    }
  });
});
