import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { changeStatus, createItem, getItem, pickStatusFields, type DynamoTable } from './dynamo-table.ts';
import { NotFoundError } from './errors.ts';
import { itemRecord, pickFields } from './item-record.ts';
import { GSI1, runIndexKeys, runKey, shaIndexPk } from './keys.ts';
import { queryAll } from './query-items.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { RunRecord, RunStore } from './types.ts';

const RUN_FIELDS: Record<keyof RunRecord, true> = {
  runId: true,
  repo: true,
  kind: true,
  ref: true,
  branch: true,
  sha: true,
  actor: true,
  deliveryId: true,
  executionArn: true,
  status: true,
  reason: true,
  pullRequest: true,
  commitMessage: true,
  notifications: true,
  slackMessages: true,
  createdAt: true,
  updatedAt: true,
  finishedAt: true,
  announceSkipped: true,
};

/** Fields a status change may set besides the status (the rest of a record is fixed at creation). */
const RUN_STATUS_FIELDS: Record<keyof NonNullable<Parameters<RunStore['setRunStatus']>[2]>, true> = {
  reason: true,
  executionArn: true,
  announceSkipped: true,
};

/** Runs (access patterns 2 and 5): one item per run, indexed by commit on gsi1. */
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

  return {
    createRun(run, now) {
      return storeCall(`createRun ${run.runId}`, async () => {
        const at = (now ?? clock()).toISOString();
        const record = {
          ...pickFields(run as RunRecord, RUN_FIELDS),
          status: run.status ?? 'queued',
          createdAt: at,
          updatedAt: at,
        } as RunRecord;
        await createItem(
          table,
          { ...runKey(record.runId), ...runIndexKeys(record), entity: 'run', ...record },
          `run ${record.runId}`,
        );
        return record;
      });
    },

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

    setRunStatus(runId, status, fields, now) {
      return storeCall(`setRunStatus ${runId} ${status}`, async () => {
        const item = await changeStatus(
          table,
          runKey(runId),
          `run ${runId}`,
          status,
          pickStatusFields(fields, RUN_STATUS_FIELDS),
          now ?? clock(),
        );
        return itemRecord<RunRecord>(item);
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
