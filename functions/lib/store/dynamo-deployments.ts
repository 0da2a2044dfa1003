import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getItem, type DynamoTable } from './dynamo-table.ts';
import { StoreError } from './errors.ts';
import { itemRecord, pickFields } from './item-record.ts';
import {
  currentKey,
  currentPk,
  DEPLOYED_PK,
  deployedEnvironmentKey,
  deployedEnvironmentPrefix,
  deploymentKey,
  deploymentsPk,
} from './keys.ts';
import { queryAll, queryItems } from './query-items.ts';
import { isConditionalCheckFailed, storeCall } from './store-call.ts';
import type { DeployedEnvironment, DeploymentRecord, DeploymentStore, DriftState } from './types.ts';

const DEFAULT_DEPLOYMENT_LIMIT = 20;

/** Tries of recordDriftCheck's read-then-conditional-write when another write lands in between. */
const DRIFT_WRITE_ATTEMPTS = 5;

/** What a deployment records; `drift` is the drift checks' alone (recordDriftCheck), never a caller's. */
const DEPLOYMENT_FIELDS: Record<Exclude<keyof DeploymentRecord, 'drift'>, true> = {
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
  trigger: true,
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
          ...pickFields(deployment, DEPLOYMENT_FIELDS as Record<keyof DeploymentRecord, true>),
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
        // The registry the drift checks walk: an update, so that lastDriftCheckAt stays as it is.
        await client.send(
          new UpdateCommand({
            TableName,
            Key: deployedEnvironmentKey(record.repo, record.environment),
            UpdateExpression: 'SET #entity = :entity, #repo = :repo, #environment = :environment',
            ExpressionAttributeNames: { '#entity': 'entity', '#repo': 'repo', '#environment': 'environment' },
            ExpressionAttributeValues: {
              ':entity': 'deployed-environment',
              ':repo': record.repo,
              ':environment': record.environment,
            },
          }),
        );
      });
    },

    listDeployedEnvironments(filter) {
      return storeCall('listDeployedEnvironments', async () => {
        const items = await queryAll(client, {
          TableName,
          ...(filter?.repo === undefined
            ? { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': DEPLOYED_PK } }
            : {
                KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
                ExpressionAttributeValues: { ':pk': DEPLOYED_PK, ':prefix': deployedEnvironmentPrefix(filter.repo) },
              }),
          ConsistentRead: true,
        });
        return items
          .map((item) => itemRecord<DeployedEnvironment>(item))
          .filter(
            (entry) =>
              (filter?.repo === undefined || entry.repo === filter.repo) &&
              (filter?.environment === undefined || entry.environment === filter.environment),
          );
      });
    },

    markDriftCheckStarted(repo, environment, at) {
      return storeCall(`markDriftCheckStarted ${repo} ${environment}`, async () => {
        await client.send(
          new UpdateCommand({
            TableName,
            Key: deployedEnvironmentKey(repo, environment),
            UpdateExpression:
              'SET #entity = :entity, #repo = :repo, #environment = :environment, lastDriftCheckAt = :at',
            ExpressionAttributeNames: { '#entity': 'entity', '#repo': 'repo', '#environment': 'environment' },
            ExpressionAttributeValues: {
              ':entity': 'deployed-environment',
              ':repo': repo,
              ':environment': environment,
              ':at': at.toISOString(),
            },
          }),
        );
      });
    },

    recordDriftCheck(key, check) {
      const { repo, environment, project } = key;
      return storeCall(`recordDriftCheck ${repo} ${environment} ${project}`, async () => {
        const Key = currentKey(repo, environment, project);
        const checkedAt = check.checkedAt.toISOString();
        for (let attempt = 1; attempt <= DRIFT_WRITE_ATTEMPTS; attempt += 1) {
          const item = await getItem(table, Key);
          const current = item === undefined ? undefined : itemRecord<DeploymentRecord>(item);
          // Another commit runs there now, or the same one deployed again after this check began
          // (a remediation, a redeploy): the check is about what no longer runs.
          if (current === undefined || current.sha !== check.sha || current.deployedAt > checkedAt) {
            return { recorded: false, newDrift: false };
          }
          const previous = current.drift;
          // A newer check is recorded already: this one (late, or a retry after it) leaves it as it is.
          // Its answer stays what it was: the check that first saw a drift still alerts.
          if (previous !== undefined && previous.runId !== check.runId && previous.checkedAt > checkedAt) {
            const alerts = check.drifted && previous.drifted && previous.alertedBy === check.runId;
            return { recorded: true, newDrift: alerts, ...(alerts && previous.since ? { since: previous.since } : {}) };
          }
          const { drift, newDrift } = nextDriftState(previous, check.runId, checkedAt, check);
          try {
            await client.send(
              new UpdateCommand({
                TableName,
                Key,
                UpdateExpression: 'SET drift = :drift',
                // Only onto what was read: the same deployment, and the drift state this is based on.
                ConditionExpression:
                  previous === undefined
                    ? 'sha = :sha AND deployedAt = :deployedAt AND attribute_not_exists(drift)'
                    : 'sha = :sha AND deployedAt = :deployedAt AND drift.runId = :previousRun AND drift.checkedAt = :previousAt',
                ExpressionAttributeValues: {
                  ':drift': drift,
                  ':sha': current.sha,
                  ':deployedAt': current.deployedAt,
                  ...(previous === undefined
                    ? {}
                    : { ':previousRun': previous.runId, ':previousAt': previous.checkedAt }),
                },
              }),
            );
            return { recorded: true, newDrift, ...(drift.since === undefined ? {} : { since: drift.since }) };
          } catch (error) {
            if (!isConditionalCheckFailed(error)) throw error;
          }
        }
        throw new StoreError(`recordDriftCheck ${repo} ${environment} ${project}: the item kept changing`);
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

/**
 * The drift state after a check, and whether it is the check that alerts: drifted now and not
 * before. The check that first saw a drift is remembered (`alertedBy`), so that a repeat of that
 * same check (a retried Summarize, whose write may have landed) alerts again rather than losing the
 * alert, and no other check of the same drift alerts at all.
 */
export function nextDriftState(
  previous: DriftState | undefined,
  runId: string,
  checkedAt: string,
  check: { drifted: boolean; summary?: DeploymentRecord['summary'] },
): { drift: DriftState; newDrift: boolean } {
  if (!check.drifted) return { drift: { drifted: false, runId, checkedAt }, newDrift: false };
  const continuing = previous?.drifted === true;
  const alertedBy = continuing ? previous.alertedBy : runId;
  const since = continuing ? (previous.since ?? checkedAt) : checkedAt;
  return {
    drift: {
      drifted: true,
      ...(check.summary === undefined ? {} : { summary: check.summary }),
      since,
      runId,
      checkedAt,
      ...(alertedBy === undefined ? {} : { alertedBy }),
    },
    newDrift: alertedBy === runId,
  };
}
