import { readFile } from 'node:fs/promises';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { z } from 'zod';

const TABLE_DEFINITION = new URL('../infra/table.yml', import.meta.url);

const KeySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));

/** The part of infra/table.yml that CreateTable takes; the rest is CloudFormation-only. */
const TableDefinition = z.object({
  Resources: z.object({
    PushgateTable: z.object({
      Type: z.literal('AWS::DynamoDB::Table'),
      Properties: z.object({
        BillingMode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']),
        AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
        KeySchema,
        GlobalSecondaryIndexes: z
          .array(
            z.object({
              IndexName: z.string(),
              KeySchema,
              Projection: z.object({
                ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
                NonKeyAttributes: z.array(z.string()).optional(),
              }),
            }),
          )
          .optional(),
      }),
    }),
  }),
});

/**
 * Creates the pushgate table from the same definition CloudFormation deploys (infra/table.yml), so
 * the local stack and the tests cannot drift from production keys and indexes. Idempotent.
 *
 * Left out on purpose: SSESpecification, PointInTimeRecoverySpecification, TimeToLiveSpecification
 * and DeletionProtectionEnabled, which dynalite does not implement (CreateTable rejects or ignores
 * them, and it has no UpdateTimeToLive). Nothing here depends on TTL: the store's conditions check
 * `expiresAt` themselves.
 */
export async function createTableFromDefinition(client: DynamoDBClient, tableName: string): Promise<void> {
  const definition = TableDefinition.parse(parse(await readFile(TABLE_DEFINITION, 'utf8')));
  const properties = definition.Resources.PushgateTable.Properties;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: properties.BillingMode,
        AttributeDefinitions: properties.AttributeDefinitions,
        KeySchema: properties.KeySchema,
        GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
      }),
    );
  } catch (error) {
    // Already there (created by an earlier start): wait for it like a new one.
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  // The SDK waiter polls DescribeTable until ACTIVE; its default first delay (20 s) suits AWS, not a
  // local stand-in whose table is ACTIVE within milliseconds.
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 0.05, maxDelay: 2 }, { TableName: tableName });
}
