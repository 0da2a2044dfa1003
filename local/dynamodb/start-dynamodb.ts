import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { PushgateError } from '../../functions/lib/errors.ts';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import {
  AUTH_FAILURE_STATUS,
  jsonErrorCode,
  readVerifiedRequest,
  type AuthFailure,
  type RequestAuth,
} from '../aws/verify-request.ts';
import { closeServer, replayRequest, sendJson } from '../http/loopback-server.ts';
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
  /** The only credentials whose requests are answered (the local stack's). */
  credentials: LocalCredentials;
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
 * (classic-level) loads from the prebuilt binaries it ships, so it needs no install script. dynalite
 * checks no signature: its request listener answers only what verifyRequests lets through.
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
  const gate = verifyRequests(server, {
    credentials: options.credentials,
    signingName: 'dynamodb',
    service: 'DynamoDB',
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async () => {
    // Requests that arrive while it stops (a run's step still going when `pushgate dev` is stopped)
    // get a 503, and those already in dynalite finish first: dynalite throws an uncaught "Database is
    // closed" for a request that reaches a closed store, which would crash the whole process.
    await gate.drain();
    // dynalite's close waits for pending writes and then closes LevelDB (releasing its lock).
    await closeServer(server);
  };

  const client = new DynamoDBClient({
    endpoint: url,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: options.credentials,
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

/** dynalite's own limit on a request body. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * Puts the host and signature checks in front of dynalite's request listener: a request is read
 * whole, verified, and handed to dynalite with the same bytes; a refused one gets DynamoDB's 403.
 */
function verifyRequests(server: Server, auth: RequestAuth): { drain(): Promise<void> } {
  const dynaliteListeners = server.listeners('request') as RequestListener[];
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.removeAllListeners('request');
  const refuse = (res: ServerResponse, failure: AuthFailure) =>
    sendJson(
      res,
      AUTH_FAILURE_STATUS,
      { __type: `com.amazon.coral.service#${jsonErrorCode(failure)}`, message: failure.message },
      { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
    );
  async function guard(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verified = await readVerifiedRequest(req, auth, MAX_REQUEST_BYTES);
    if ('tooLarge' in verified) {
      res.writeHead(413, { connection: 'close', 'content-length': 0 }).end();
      return;
    }
    if ('refused' in verified) {
      refuse(res, verified.refused);
      return;
    }
    if (closing) {
      sendJson(
        res,
        503,
        { __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable', message: 'the local DynamoDB is stopping' },
        { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
      );
      return;
    }
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
    const replay = replayRequest(req, verified.body);
    for (const listener of dynaliteListeners) listener(replay, res);
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    guard(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) });
    });
  });
  return {
    async drain() {
      closing = true;
      if (inFlight === 0) return;
      // Bounded: a request dynalite never answers must not hold the stop forever.
      await Promise.race([
        new Promise<void>((resolveDrained) => (drained = resolveDrained)),
        new Promise<void>((resolveLater) => setTimeout(resolveLater, 5_000).unref()),
      ]);
    },
  };
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
