import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentOps, getItem, type DynamoTable } from './dynamo-table.ts';
import { NotFoundError } from './errors.ts';
import { itemRecord } from './item-record.ts';
import { StoreError } from './errors.ts';
import { environmentIndexPk, GSI1, repoRunsPk, runKey, shaIndexPk } from './keys.ts';
import { queryAll, queryItems } from './query-items.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import { runWrites } from './run-writes.ts';
import type { ListRunsOptions, RunRecord, RunStore } from './types.ts';

const DEFAULT_RUN_LIMIT = 20;
/** Runs read at once while listing (GetItem each: the status lives on the run item only). */
const READ_BATCH = 10;

/**
 * Runs (access patterns 2, 5 and 7): one item per run, indexed by commit on gsi1, and an entry per
 * run in its repository's list (keys.ts repoRunKey).
 */
export function createDynamoRuns(table: DynamoTable): RunStore {
  const { client, tableName: TableName, clock } = table;

  /** Sets `<map>.<key>` on a run that exists, creating the map first. */
  async function setInMap(runId: string, map: string, key: string, value: unknown): Promise<void> {
    const Key = runKey(runId);
    // Two writes: DynamoDB rejects a SET on <map>.<key> while the map does not exist, and one
    // expression cannot both create the map and set inside it.
    const updates: {
      UpdateExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    }[] = [
      {
        UpdateExpression: 'SET #map = if_not_exists(#map, :empty)',
        ExpressionAttributeNames: { '#map': map },
        ExpressionAttributeValues: { ':empty': {} },
      },
      {
        UpdateExpression: 'SET #map.#key = :value',
        ExpressionAttributeNames: { '#map': map, '#key': key },
        ExpressionAttributeValues: { ':value': value },
      },
    ];
    for (const update of updates) {
      try {
        await client.send(
          new UpdateCommand({ TableName, Key, ConditionExpression: 'attribute_exists(pk)', ...update }),
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) throw new NotFoundError(`run ${runId}`, { cause: error });
        throw error;
      }
    }
  }

  /**
   * Runs named by `entries` (newest first, repeats allowed), read a batch at a time, until `limit` of
   * them pass `keep`. Entries whose run is missing or was created at another time are skipped.
   */
  async function readRuns(
    entries: AsyncGenerator<{ runId: string; createdAt?: string }>,
    limit: number,
    keep: (run: RunRecord) => boolean,
  ): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    const seen = new Set<string>();
    let batch: { runId: string; createdAt?: string }[] = [];
    const flush = async () => {
      const read = await Promise.all(
        batch.map(async (entry) => ({ entry, item: await getItem(table, runKey(entry.runId)) })),
      );
      batch = [];
      for (const { entry, item } of read) {
        if (item === undefined) continue;
        const run = itemRecord<RunRecord>(item);
        if (entry.createdAt !== undefined && run.createdAt !== entry.createdAt) continue;
        if (runs.some((known) => known.runId === run.runId)) continue;
        if (keep(run) && runs.length < limit) runs.push(run);
      }
    };
    for await (const entry of entries) {
      // Keyed with the entry's time: a stale entry of a run (an earlier try of createRun) must not
      // hide the run's real one, which flush() recognises by its createdAt.
      const key = `${entry.runId}#${entry.createdAt ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      batch.push(entry);
      if (batch.length >= READ_BATCH) {
        await flush();
        if (runs.length >= limit) break;
      }
    }
    if (batch.length > 0) await flush();
    return runs;
  }

  async function* repoEntries(repo: string): AsyncGenerator<{ runId: string; createdAt: string }> {
    for await (const item of queryItems(
      client,
      {
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': repoRunsPk(repo) },
        ScanIndexForward: false,
      },
      50,
    )) {
      yield { runId: item.runId as string, createdAt: item.createdAt as string };
    }
  }

  /** Runs with a target in the environment: the targets' index (gsi1 ENV#…), newest first. */
  async function* environmentEntries(repo: string, environment: string): AsyncGenerator<{ runId: string }> {
    for await (const item of queryItems(
      client,
      {
        TableName,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': environmentIndexPk(repo, environment) },
        ScanIndexForward: false,
      },
      50,
    )) {
      yield { runId: item.runId as string };
    }
  }

  function listRuns(repo: string, options: ListRunsOptions = {}): Promise<RunRecord[]> {
    return storeCall(`listRuns ${repo}`, async () => {
      const limit = options.limit ?? DEFAULT_RUN_LIMIT;
      if (!Number.isInteger(limit) || limit < 1) throw new StoreError(`limit must be a positive integer: ${limit}`);
      const entries =
        options.environment === undefined ? repoEntries(repo) : environmentEntries(repo, options.environment);
      return readRuns(entries, limit, (run) => options.status === undefined || run.status === options.status);
    });
  }

  return {
    ...runWrites(documentOps(table), clock),
    listRuns,

    getRun(runId) {
      return storeCall(`getRun ${runId}`, async () => {
        const item = await getItem(table, runKey(runId));
        return item && itemRecord<RunRecord>(item);
      });
    },

    recordNotification(runId, channel, result) {
      return storeCall(`recordNotification ${runId}`, () => setInMap(runId, 'notifications', channel, result));
    },

    recordSlackMessage(runId, channel, ts) {
      return storeCall(`recordSlackMessage ${runId}`, () => setInMap(runId, 'slackMessages', channel, ts));
    },

    getSlackMessages(runId) {
      return storeCall(`getSlackMessages ${runId}`, async () => {
        const item = await getItem(table, runKey(runId));
        const messages = item?.slackMessages;
        if (typeof messages !== 'object' || messages === null) return {};
        return Object.fromEntries(
          Object.entries(messages as Record<string, unknown>).filter(
            (entry): entry is [string, string] => typeof entry[1] === 'string',
          ),
        );
      });
    },

    findRunsBySha(repo, sha) {
      return storeCall(`findRunsBySha ${repo} ${sha}`, async () => {
        // A GSI is eventually consistent: a run created a moment ago may be missing.
        const items = await queryAll(client, {
          TableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': shaIndexPk(repo, sha) },
          ScanIndexForward: false,
        });
        return items.map((item) => itemRecord<RunRecord>(item));
      });
    },
  };
}
