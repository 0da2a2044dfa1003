import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Status } from '../status.ts';
import { canTransition } from '../status.ts';
import { documentClient } from './document-client.ts';
import { createDynamoLocks } from './dynamo-locks.ts';
import { epochSeconds } from './epoch-seconds.ts';
import { AlreadyExistsError, InvalidTransitionError, NotFoundError, StoreError } from './errors.ts';
import { itemRecord, pickFields } from './item-record.ts';
import {
  currentKey,
  currentPk,
  deliveryKey,
  deploymentKey,
  deploymentsPk,
  GSI1,
  runIndexKeys,
  runKey,
  shaIndexPk,
  TARGET_SK_PREFIX,
  targetIndexKeys,
  targetKey,
} from './keys.ts';
import type { ItemKey } from './keys.ts';
import { queryAll, queryItems } from './query-items.ts';
import { statusUpdate } from './status-update.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { DeploymentRecord, RunRecord, Store, TargetRecord } from './types.ts';

/** GitHub redelivers for at most a few days; a week covers manual redeliveries from the settings page. */
const DELIVERY_TTL_SECONDS = 7 * 24 * 60 * 60;
const DEFAULT_DEPLOYMENT_LIMIT = 20;
/** Re-reads after a lost race (a delivery forgotten, a status moved) before giving up. */
const MAX_ATTEMPTS = 3;

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
  createdAt: true,
  updatedAt: true,
  finishedAt: true,
};

const TARGET_FIELDS: Record<keyof TargetRecord, true> = {
  runId: true,
  repo: true,
  project: true,
  environment: true,
  status: true,
  sha: true,
  reason: true,
  summary: true,
  planSha256: true,
  planArtifactKey: true,
  planBuildId: true,
  applyBuildId: true,
  approvalTaskToken: true,
  createdAt: true,
  updatedAt: true,
  finishedAt: true,
};

const DEPLOYMENT_FIELDS: Record<keyof DeploymentRecord, true> = {
  repo: true,
  environment: true,
  project: true,
  runId: true,
  sha: true,
  status: true,
  actor: true,
  summary: true,
  deployedAt: true,
};

/** Fields a status change may set besides the status (the rest of a record is fixed at creation). */
const RUN_STATUS_FIELDS: Record<keyof NonNullable<Parameters<Store['setRunStatus']>[2]>, true> = {
  reason: true,
  executionArn: true,
};
const TARGET_STATUS_FIELDS: Record<keyof NonNullable<Parameters<Store['setTargetStatus']>[4]>, true> = {
  reason: true,
  summary: true,
  planSha256: true,
  planArtifactKey: true,
  planBuildId: true,
  applyBuildId: true,
  approvalTaskToken: true,
};

/**
 * `deployedAt` is compared as a string (history order, the newer-wins condition), which is time
 * order only in one format: the one Date#toISOString writes.
 */
function canonicalTimestamp(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new StoreError(`deployedAt is not a timestamp: ${JSON.stringify(value)}`);
  return new Date(time).toISOString();
}

/**
 * The Store (functions/lib/store/types.ts) over one DynamoDB table; item design in keys.ts.
 * `clock` supplies `now` where a call does not pass one (tests pass it instead of sleeping).
 */
export function createDynamoStore(options: {
  tableName: string;
  client?: DynamoDBDocumentClient | DynamoDBClient;
  clock?: () => Date;
}): Store {
  const client = documentClient(options.client);
  const TableName = options.tableName;
  const clock = options.clock ?? (() => new Date());

  async function getItem(Key: ItemKey): Promise<Record<string, unknown> | undefined> {
    const { Item } = await client.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
    return Item;
  }

  /** Put that only creates: a second create of the same record is a caller's bug or a repeated step. */
  async function create(Item: Record<string, unknown> & ItemKey, record: string): Promise<void> {
    try {
      await client.send(new PutCommand({ TableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new AlreadyExistsError(record, { cause: error });
      throw error;
    }
  }

  async function changeStatus(
    Key: ItemKey,
    record: string,
    to: Status,
    fields: Record<string, unknown>,
    now: Date,
  ): Promise<Record<string, unknown>> {
    const update = statusUpdate(to, fields, now.toISOString());
    for (let attempt = 1; ; attempt++) {
      if (update !== undefined) {
        try {
          const { Attributes } = await client.send(
            new UpdateCommand({ TableName, Key, ...update, ReturnValues: 'ALL_NEW' }),
          );
          return Attributes ?? {};
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      }
      const current = await getItem(Key);
      if (current === undefined) throw new NotFoundError(record);
      const from = current.status as Status;
      // The status moved between our write and our read to one that allows `to`: try again.
      if (update === undefined || !canTransition(from, to) || attempt >= MAX_ATTEMPTS) {
        throw new InvalidTransitionError(record, from, to);
      }
    }
  }

  function pickStatusFields(fields: object | undefined, allowed: Record<string, true>): Record<string, unknown> {
    const source = (fields ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.keys(allowed).map((field) => [field, source[field]]));
  }

  const store: Store = {
    acceptDelivery(deliveryId, runId, now) {
      return storeCall(`acceptDelivery ${deliveryId}`, async () => {
        const at = now ?? clock();
        const nowEpoch = epochSeconds(at);
        const Key = deliveryKey(deliveryId);
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          try {
            await client.send(
              new PutCommand({
                TableName,
                Item: {
                  ...Key,
                  entity: 'delivery',
                  deliveryId,
                  runId,
                  acceptedAt: at.toISOString(),
                  expiresAt: nowEpoch + DELIVERY_TTL_SECONDS,
                },
                // TTL deletion lags, so an expired record still in the table counts as gone.
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
                ExpressionAttributeValues: { ':now': nowEpoch },
              }),
            );
            return { accepted: true };
          } catch (error) {
            if (!isConditionalCheckFailed(error)) throw error;
          }
          const existing = await getItem(Key);
          if (existing !== undefined) return { accepted: false, runId: String(existing.runId) };
          // Forgotten between our put and our read: the delivery is free again, so try again.
        }
        throw new StoreError(`delivery ${deliveryId} kept changing while it was accepted`);
      });
    },

    forgetDelivery(deliveryId, runId) {
      return storeCall(`forgetDelivery ${deliveryId}`, async () => {
        try {
          await client.send(
            new DeleteCommand({
              TableName,
              Key: deliveryKey(deliveryId),
              // Only the run that accepted it may give it back, never a later acceptance.
              ConditionExpression: 'runId = :runId',
              ExpressionAttributeValues: { ':runId': runId },
            }),
          );
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      });
    },

    createRun(run, now) {
      return storeCall(`createRun ${run.runId}`, async () => {
        const at = (now ?? clock()).toISOString();
        const record = {
          ...pickFields(run as RunRecord, RUN_FIELDS),
          status: run.status ?? 'queued',
          createdAt: at,
          updatedAt: at,
        } as RunRecord;
        await create(
          { ...runKey(record.runId), ...runIndexKeys(record), entity: 'run', ...record },
          `run ${record.runId}`,
        );
        return record;
      });
    },

    getRun(runId) {
      return storeCall(`getRun ${runId}`, async () => {
        const item = await getItem(runKey(runId));
        return item && itemRecord<RunRecord>(item);
      });
    },

    recordNotification(runId, channel, result) {
      return storeCall(`recordNotification ${runId}`, async () => {
        const Key = runKey(runId);
        // Two writes: DynamoDB rejects a SET on notifications.<channel> while the map does not exist,
        // and one expression cannot both create the map and set inside it.
        const updates = [
          {
            UpdateExpression: 'SET notifications = if_not_exists(notifications, :empty)',
            ExpressionAttributeValues: { ':empty': {} },
          },
          {
            UpdateExpression: 'SET notifications.#channel = :result',
            ExpressionAttributeNames: { '#channel': channel },
            ExpressionAttributeValues: { ':result': result },
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
      });
    },

    setRunStatus(runId, status, fields, now) {
      return storeCall(`setRunStatus ${runId} ${status}`, async () => {
        const item = await changeStatus(
          runKey(runId),
          `run ${runId}`,
          status,
          pickStatusFields(fields, RUN_STATUS_FIELDS),
          now ?? clock(),
        );
        return itemRecord<RunRecord>(item);
      });
    },

    putTarget(target, now) {
      return storeCall(`putTarget ${target.runId}`, async () => {
        const at = (now ?? clock()).toISOString();
        const record = {
          ...pickFields(target as TargetRecord, TARGET_FIELDS),
          createdAt: at,
          updatedAt: at,
        } as TargetRecord;
        await create(
          {
            ...targetKey(record.runId, record.project, record.environment),
            ...targetIndexKeys(record),
            entity: 'target',
            ...record,
          },
          `target ${record.runId} ${record.project}/${record.environment}`,
        );
        return record;
      });
    },

    getTarget(runId, project, environment) {
      return storeCall(`getTarget ${runId}`, async () => {
        const item = await getItem(targetKey(runId, project, environment));
        return item && itemRecord<TargetRecord>(item);
      });
    },

    listTargets(runId) {
      return storeCall(`listTargets ${runId}`, async () => {
        const items = await queryAll(client, {
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': runKey(runId).pk, ':prefix': TARGET_SK_PREFIX },
          ConsistentRead: true,
        });
        return items.map((item) => itemRecord<TargetRecord>(item));
      });
    },

    setTargetStatus(runId, project, environment, status, fields, now) {
      return storeCall(`setTargetStatus ${runId} ${status}`, async () => {
        const item = await changeStatus(
          targetKey(runId, project, environment),
          `target ${runId} ${project}/${environment}`,
          status,
          pickStatusFields(fields, TARGET_STATUS_FIELDS),
          now ?? clock(),
        );
        return itemRecord<TargetRecord>(item);
      });
    },

    recordDeployment(deployment) {
      return storeCall(`recordDeployment ${deployment.runId}`, async () => {
        const record = {
          ...pickFields(deployment, DEPLOYMENT_FIELDS),
          deployedAt: canonicalTimestamp(deployment.deployedAt),
        } as DeploymentRecord;
        // History first: repeating this call after a crash rewrites the same item.
        await client.send(
          new PutCommand({ TableName, Item: { ...deploymentKey(record), entity: 'deployment', ...record } }),
        );
        if (record.status !== 'succeeded') return;
        try {
          await client.send(
            new PutCommand({
              TableName,
              Item: { ...currentKey(record.repo, record.environment, record.project), entity: 'current', ...record },
              // An older run finishing late must not replace what a newer run deployed.
              ConditionExpression: 'attribute_not_exists(pk) OR deployedAt <= :deployedAt',
              ExpressionAttributeValues: { ':deployedAt': record.deployedAt },
            }),
          );
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      });
    },

    listDeployments(repo, environment, listOptions) {
      return storeCall(`listDeployments ${repo} ${environment}`, async () => {
        const limit = listOptions?.limit ?? DEFAULT_DEPLOYMENT_LIMIT;
        if (!Number.isInteger(limit) || limit < 1) throw new StoreError(`limit must be a positive integer: ${limit}`);
        const project = listOptions?.project;
        const deployments: DeploymentRecord[] = [];
        for await (const item of queryItems(
          client,
          {
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ...(project === undefined
              ? { ExpressionAttributeValues: { ':pk': deploymentsPk(repo, environment) } }
              : {
                  FilterExpression: '#project = :project',
                  ExpressionAttributeNames: { '#project': 'project' },
                  ExpressionAttributeValues: { ':pk': deploymentsPk(repo, environment), ':project': project },
                }),
            ScanIndexForward: false,
          },
          // A filter applies after Limit, so a filtered query reads full pages instead.
          project === undefined ? limit : undefined,
        )) {
          deployments.push(itemRecord<DeploymentRecord>(item));
          if (deployments.length >= limit) break;
        }
        return deployments;
      });
    },

    getCurrent(repo, environment) {
      return storeCall(`getCurrent ${repo} ${environment}`, async () => {
        const items = await queryAll(client, {
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': currentPk(repo, environment) },
          ConsistentRead: true,
        });
        return items.map((item) => itemRecord<DeploymentRecord>(item));
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

    ...createDynamoLocks({ client, tableName: TableName, clock }),
  };
  return store;
}
