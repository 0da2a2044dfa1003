import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoTable } from './dynamo-table.ts';
import { StoreError } from './errors.ts';
import { itemRecord, pickFields } from './item-record.ts';
import { currentKey, currentPk, deploymentKey, deploymentsPk } from './keys.ts';
import { queryAll, queryItems } from './query-items.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { DeploymentRecord, DeploymentStore } from './types.ts';

const DEFAULT_DEPLOYMENT_LIMIT = 20;

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
  definition: true,
  rollbackOf: true,
  approvals: true,
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
 * Deployments (access patterns 3 and 4): a history partition per environment, newest last by key,
 * and one "deployed now" item per project that only a newer deployment replaces.
 */
export function createDynamoDeployments(table: DynamoTable): DeploymentStore {
  const { client, tableName: TableName } = table;
  return {
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
  };
}
