import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { changeStatus, createItem, getItem, pickStatusFields, type DynamoTable } from './dynamo-table.ts';
import { itemRecord, pickFields } from './item-record.ts';
import { runKey, TARGET_SK_PREFIX, targetIndexKeys, targetItemKey } from './keys.ts';
import { queryAll } from './query-items.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { TargetRecord, TargetStore } from './types.ts';

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

/** Fields a status change may set besides the status (the rest of a record is fixed at creation). */
const TARGET_STATUS_FIELDS: Record<keyof NonNullable<Parameters<TargetStore['setTargetStatus']>[4]>, true> = {
  reason: true,
  summary: true,
  planSha256: true,
  planArtifactKey: true,
  planBuildId: true,
  applyBuildId: true,
  approvalTaskToken: true,
};

/**
 * The targets of runs (access pattern 2): items in their run's partition, so one consistent Query
 * reads a whole run; indexed by environment on gsi1.
 */
export function createDynamoTargets(table: DynamoTable): TargetStore {
  const { client, tableName: TableName, clock } = table;
  return {
    putTarget(target, now) {
      return storeCall(`putTarget ${target.runId}`, async () => {
        const at = (now ?? clock()).toISOString();
        const record = {
          ...pickFields(target as TargetRecord, TARGET_FIELDS),
          createdAt: at,
          updatedAt: at,
        } as TargetRecord;
        await createItem(
          table,
          {
            ...targetItemKey(record.runId, record.project, record.environment),
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
        const item = await getItem(table, targetItemKey(runId, project, environment));
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
          table,
          targetItemKey(runId, project, environment),
          `target ${runId} ${project}/${environment}`,
          status,
          pickStatusFields(fields, TARGET_STATUS_FIELDS),
          now ?? clock(),
        );
        return itemRecord<TargetRecord>(item);
      });
    },

    forgetApprovalToken(runId, project, environment) {
      return storeCall(`forgetApprovalToken ${runId} ${project}/${environment}`, async () => {
        await table.client
          .send(
            new UpdateCommand({
              TableName: table.tableName,
              Key: targetItemKey(runId, project, environment),
              ConditionExpression: 'attribute_exists(pk)',
              UpdateExpression: 'REMOVE approvalTaskToken',
            }),
          )
          .catch((error: unknown) => {
            // No such target: nothing to forget.
            if (!isConditionalCheckFailed(error)) throw error;
          });
      });
    },
  };
}
