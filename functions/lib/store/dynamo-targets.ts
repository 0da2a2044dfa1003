import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { changeStatus, createItem, getItem, pickStatusFields, type DynamoTable } from './dynamo-table.ts';
import { itemRecord, pickFields } from './item-record.ts';
import { runKey, TARGET_SK_PREFIX, targetIndexKeys, targetItemKey } from './keys.ts';
import { queryAll } from './query-items.ts';
import { StoreError } from './errors.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { ApprovalEntry, TargetRecord, TargetStore } from './types.ts';

/** Why takeApprovalToken did not take the token, from the target as it is now. */
function refusalReason(item: Record<string, unknown> | undefined, planSha256: string): string {
  if (item === undefined) return 'no such target';
  const target = itemRecord<TargetRecord>(item);
  const last = target.approvals?.at(-1);
  const already = last && `already ${last.decision} by ${last.by} (via ${last.via}, ${last.at})`;
  if (target.status !== 'awaiting_approval') return already ?? `not waiting for approval (status ${target.status})`;
  if (target.approvalTaskToken === undefined) {
    return already ?? 'not waiting for approval yet (the wait has not stored its task token)';
  }
  if (target.planSha256 !== planSha256) return 'the plan changed since this approval was requested';
  return 'the target changed while it was approved: try again';
}

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
  planTextSha256: true,
  planJsonSha256: true,
  planBuildId: true,
  applyBuildId: true,
  approvalTaskToken: true,
  approvalRequest: true,
  approvals: true,
  drifted: true,
  driftAlert: true,
  driftSince: true,
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
  planTextSha256: true,
  planJsonSha256: true,
  planBuildId: true,
  applyBuildId: true,
  approvalTaskToken: true,
  approvalRequest: true,
  drifted: true,
  driftAlert: true,
  driftSince: true,
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

    takeApprovalToken(runId, project, environment, entry, expect) {
      return storeCall(`takeApprovalToken ${runId} ${project}/${environment}`, async () => {
        const Key = targetItemKey(runId, project, environment);
        const recorded: ApprovalEntry = pickFields(entry, {
          decision: true,
          by: true,
          via: true,
          at: true,
          reason: true,
          slackUser: true,
          awsPrincipal: true,
        }) as ApprovalEntry;
        try {
          const { Attributes } = await client.send(
            new UpdateCommand({
              TableName,
              Key,
              // One condition for everything that makes an approval valid, so two approvers racing
              // resume the run once: the loser finds the token gone.
              ConditionExpression: '#status = :awaiting AND attribute_exists(approvalTaskToken) AND planSha256 = :plan',
              UpdateExpression:
                'SET approvals = list_append(if_not_exists(approvals, :none), :entry), updatedAt = :now REMOVE approvalTaskToken',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':awaiting': 'awaiting_approval',
                ':plan': expect.planSha256,
                ':none': [],
                ':entry': [recorded],
                ':now': clock().toISOString(),
              },
              ReturnValues: 'ALL_OLD',
            }),
          );
          const old = (Attributes ?? {}) as Partial<TargetRecord>;
          return {
            taken: true as const,
            taskToken: String(old.approvalTaskToken),
            entryIndex: old.approvals?.length ?? 0,
          };
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
        return { taken: false as const, reason: refusalReason(await getItem(table, Key), expect.planSha256) };
      });
    },

    restoreApprovalToken(runId, project, environment, taskToken, entryIndex) {
      return storeCall(`restoreApprovalToken ${runId} ${project}/${environment}`, async () => {
        if (!Number.isInteger(entryIndex) || entryIndex < 0) throw new StoreError(`bad entry index ${entryIndex}`);
        try {
          await client.send(
            new UpdateCommand({
              TableName,
              Key: targetItemKey(runId, project, environment),
              ConditionExpression:
                '#status = :awaiting AND attribute_not_exists(approvalTaskToken) AND size(approvals) = :length',
              UpdateExpression: `SET approvalTaskToken = :token REMOVE approvals[${entryIndex}]`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':awaiting': 'awaiting_approval',
                ':token': taskToken,
                ':length': entryIndex + 1,
              },
            }),
          );
          return true;
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          return false;
        }
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
