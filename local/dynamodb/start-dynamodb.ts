import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { PushgateError } from '../../functions/lib/errors.ts';
import { closeServer } from '../http/loopback-server.ts';
import { createTableFromDefinition } from '../create-table.ts';

export class LocalDynamoDBError extends PushgateError {}

export interface StartDynamoDBOptions {
  /** The table to create from infra/table.yml (kept if it exists already). */
  tableName: string;
  /**
   * Keep the data on disk, in `<dataDir>/dynamodb` (LevelDB), across restarts; in memory when absent.
   * One process at a time: LevelDB locks the directory.
   */
  dataDir?: string;
  port?: number;
}

export interface LocalDynamoDB {
  url: string;
  tableName: string;
  /** Where the data lives, when on disk. */
  path?: string;
  env: { AWS_ENDPOINT_URL_DYNAMODB: string };
  stop(): Promise<void>;
}

/**
 * DynamoDB on 127.0.0.1 through dynalite, with the pushgate table created. dynalite's LevelDB store
 * (classic-level) loads from the prebuilt binaries it ships, so it needs no install script.
 */
export async function startDynamoDB(options: StartDynamoDBOptions): Promise<LocalDynamoDB> {
  const path = options.dataDir === undefined ? undefined : join(resolve(options.dataDir), 'dynamodb');
  if (path) {
    await mkdir(path, { recursive: true });
    await assertNotLocked(path);
  }
  // dynalite opens its LevelDB as it is created and, when it then cannot listen, never closes it: the
  // directory would stay locked for the retry on another port. So a taken port must fail before.
  if (options.port) await assertPortFree(options.port);
  // Tables are ACTIVE at once: nothing local should wait out the 500 ms dynalite imitates by default.
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async () => {
    // dynalite's close waits for pending writes and then closes LevelDB (releasing its lock).
    await closeServer(server);
  };

  const client = new DynamoDBClient({
    endpoint: url,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    // The store opens lazily: a locked or corrupt data directory shows up on the first request.
    await client.send(new ListTablesCommand({}));
    await createTableFromDefinition(client, options.tableName);
  } catch (error) {
    await stop().catch(() => {});
    const message = (error as Error).message;
    const hint = /lock/i.test(message) ? ' (is another process using this data directory?)' : '';
    throw new LocalDynamoDBError(`could not start local DynamoDB${path ? ` on ${path}` : ''}${hint}: ${message}`, {
      cause: error,
    });
  } finally {
    client.destroy();
  }
  return { url, tableName: options.tableName, path, env: { AWS_ENDPOINT_URL_DYNAMODB: url }, stop };
}

/** Rejects with EADDRINUSE (as listen would) when `port` on 127.0.0.1 is taken. */
async function assertPortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolvePromise, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise()));
  });
}

/** The LevelDB that dynalite itself uses, whichever version it depends on. */
type Level = { open(): Promise<void>; close(): Promise<void> };
const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));

/**
 * dynalite opens its store lazily and, when the directory is locked by another process, crashes on
 * an unhandled stream error at the first request. Opening it once here turns that into an error.
 */
async function assertNotLocked(path: string): Promise<void> {
  const { Level } = requireFromDynalite('level') as { Level: new (location: string) => Level };
  const probe = new Level(path);
  try {
    await probe.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const locked = cause?.code === 'LEVEL_LOCKED';
    throw new LocalDynamoDBError(
      locked
        ? `${path} is in use by another process (LevelDB lock)`
        : `cannot open ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await probe.close();
  }
}
