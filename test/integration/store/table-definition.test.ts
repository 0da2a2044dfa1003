import { readFile } from 'node:fs/promises';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTableFromDefinition } from '../../../local/create-table.ts';
import { startDynalite } from '../../helpers/dynalite.ts';
import type { RunningDynalite } from '../../helpers/dynalite.ts';

let dynamo: RunningDynalite;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});

describe('infra/table.yml', () => {
  it('is plain YAML with the production settings CloudFormation needs', async () => {
    const text = await readFile(new URL('../../../infra/table.yml', import.meta.url), 'utf8');
    // A short tag such as !Ref would make the plain parser (and serverless' ${file()}) choke or warn.
    const definition = parse(text, { strict: true }) as Record<string, Record<string, Record<string, unknown>>>;
    const table = definition.Resources?.PushgateTable as { Type: string; Properties: Record<string, unknown> };
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).not.toHaveProperty('TableName');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(definition.Outputs?.PushgateTableName).toMatchObject({ Value: { Ref: 'PushgateTable' } });
    expect(definition.Outputs?.PushgateTableArn).toMatchObject({ Value: { 'Fn::GetAtt': ['PushgateTable', 'Arn'] } });
  });

  it('creates the table with its keys and index, idempotently', async () => {
    await createTableFromDefinition(dynamo.client, 'pushgate-definition');
    await createTableFromDefinition(dynamo.client, 'pushgate-definition');
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'pushgate-definition' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(1);
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
      IndexStatus: 'ACTIVE',
    });
  });
});
