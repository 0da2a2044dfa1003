import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableFromDefinition } from '../../local/create-table.ts';

/** dynalite ships no type declarations; this is the part of its API the tests use. */
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface RunningDynalite {
  endpoint: string;
  client: DynamoDBClient;
  /** What `client` signs with, for processes that reach the same server (dynalite itself checks none). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/** An in-memory DynamoDB (dynalite) on a free loopback port, with a client pointed at it. */
export async function startDynalite(): Promise<RunningDynalite> {
  // Tables become ACTIVE at once, so no test waits for a simulated delay.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials });
  return {
    endpoint,
    client,
    credentials,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** A fresh table from infra/table.yml, with a name no other test uses. */
export async function createTestTable(client: DynamoDBClient): Promise<string> {
  const tableName = `pushgate-test-${randomUUID()}`;
  await createTableFromDefinition(client, tableName);
  return tableName;
}
