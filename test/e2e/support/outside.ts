import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type ExecutionListItem,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runHistory } from '../../../functions/lib/workflow/child-executions.ts';
import { isFinal } from '../../../functions/lib/status.ts';
import {
  currentKey,
  deploymentsPk,
  GSI1,
  lockKey,
  runKey,
  shaIndexPk,
  TARGET_SK_PREFIX,
  UNLOCK_SK_PREFIX,
} from '../../../functions/lib/store/keys.ts';
import type {
  DeploymentRecord,
  RunRecord,
  TargetKey as LockKey,
  TargetRecord,
} from '../../../functions/lib/store/types.ts';
import type { DevInfo } from '../../helpers/dev-process.ts';

/** What a finished run looks like from outside: its records in DynamoDB and its execution in Step Functions. */
export interface FinishedRun {
  run: RunRecord;
  targets: TargetRecord[];
  execution: { status: string; executionArn: string };
  history: HistoryEvent[];
  /** Names of the states entered, in order. */
  states: string[];
}

/** A lock item as it is stored: after a release it stays with `lastPosition` and no `owner`. */
export type LockItem = Partial<LockKey> & { owner?: string; leaseExpiresAt?: string; lastOwner?: string };

/** AWS SDK clients on a `pushgate dev`'s printed endpoints, with the reads the scenarios need. */
export interface Outside {
  info: DevInfo;
  dynamo: DynamoDBDocumentClient;
  sfn: SFNClient;
  s3: S3Client;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listTargets(runId: string): Promise<TargetRecord[]>;
  getTarget(runId: string, project: string, environment: string): Promise<TargetRecord | undefined>;
  /** The lock item itself (held or released), undefined when the target was never locked. */
  getLock(key: LockKey): Promise<LockItem | undefined>;
  /** The audit items of people's unlocks of a lock (`UNLOCK#<at>#<by>`), oldest first. */
  listUnlocks(key: LockKey): Promise<Record<string, unknown>[]>;
  putItem(item: Record<string, unknown>): Promise<void>;
  getCurrent(environment: string, project: string): Promise<DeploymentRecord | undefined>;
  /** Newest first. */
  listDeployments(environment: string): Promise<DeploymentRecord[]>;
  /** Runs of one commit (the table's index by sha). */
  runsBySha(sha: string): Promise<RunRecord[]>;
  listExecutions(): Promise<ExecutionListItem[]>;
  /** Waits until the run has a final status and its execution has ended. */
  finished(runId: string, timeoutMs?: number): Promise<FinishedRun>;
  /** Waits until `check` returns a value (polling DynamoDB, say). */
  waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  destroy(): void;
}

const region = 'us-east-1';

export function outside(info: DevInfo): Outside {
  // The credentials pushgate dev printed: its services answer no others.
  const credentials = info.credentials;
  const dynamoClient = new DynamoDBClient({ region, credentials, endpoint: info.endpoints.dynamodb });
  const dynamo = DynamoDBDocumentClient.from(dynamoClient);
  const sfn = new SFNClient({ region, credentials, endpoint: info.endpoints.stepfunctions });
  // s3rver answers path-style only, and knows no flexible checksums.
  const s3 = new S3Client({
    region,
    credentials,
    endpoint: info.endpoints.s3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const TableName = info.tableName;

  async function getItem<T>(key: { pk: string; sk: string }): Promise<T | undefined> {
    const { Item } = await dynamo.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return Item as T | undefined;
  }

  async function query<T>(pk: string, prefix?: string, newestFirst = false): Promise<T[]> {
    const items: T[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ...(prefix === undefined ? {} : { ':prefix': prefix }) },
          ConsistentRead: true,
          ScanIndexForward: !newestFirst,
          ExclusiveStartKey,
        }),
      );
      items.push(...((page.Items ?? []) as T[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 25_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const self: Outside = {
    info,
    dynamo,
    sfn,
    s3,
    getRun: (runId) => getItem<RunRecord>(runKey(runId)),
    listTargets: (runId) => query<TargetRecord>(runKey(runId).pk, TARGET_SK_PREFIX),
    async getTarget(runId, project, environment) {
      return (await self.listTargets(runId)).find(
        (target) => target.project === project && target.environment === environment,
      );
    },
    getLock: (key) => getItem<LockItem>(lockKey(key)),
    listUnlocks: (key) => query<Record<string, unknown>>(lockKey(key).pk, UNLOCK_SK_PREFIX),
    async putItem(item) {
      await dynamo.send(new PutCommand({ TableName, Item: item }));
    },
    getCurrent: (environment, project) => getItem<DeploymentRecord>(currentKey(info.repo, environment, project)),
    listDeployments: (environment) => query<DeploymentRecord>(deploymentsPk(info.repo, environment), undefined, true),
    async runsBySha(sha) {
      const { Items } = await dynamo.send(
        new QueryCommand({
          TableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': shaIndexPk(info.repo, sha) },
        }),
      );
      return (Items ?? []) as RunRecord[];
    },
    async listExecutions() {
      const executions: ExecutionListItem[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: info.stateMachineArn, maxResults: 1000, nextToken }),
        );
        executions.push(...(page.executions ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return executions;
    },
    async finished(runId, timeoutMs = 25_000) {
      let seen = 'no record';
      const run = await waitFor(
        `run ${runId} to end`,
        async () => {
          const run = await self.getRun(runId);
          if (run) seen = run.status;
          return run && isFinal(run.status) && run.executionArn ? run : undefined;
        },
        timeoutMs,
      ).catch((error: Error) => {
        throw new Error(`${error.message} (last seen: ${seen})`, { cause: error });
      });
      const executionArn = run.executionArn!;
      // The run is recorded final before Notify; the execution ends after it.
      const status = await waitFor(`execution of ${runId} to end`, async () => {
        const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return status === 'RUNNING' ? undefined : status;
      });
      // The run's execution and its child executions (one per chunk of targets), as one timeline.
      const history = await runHistory(executionArn, async (arn) => {
        const events: HistoryEvent[] = [];
        let nextToken: string | undefined;
        do {
          const page = await sfn.send(
            new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, nextToken }),
          );
          events.push(...(page.events ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
        return events;
      });
      return {
        run: (await self.getRun(runId))!,
        targets: await self.listTargets(runId),
        execution: { status: status!, executionArn },
        history,
        states: history.flatMap((event) =>
          event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : [],
        ),
      };
    },
    waitFor,
    destroy() {
      dynamoClient.destroy();
      sfn.destroy();
      s3.destroy();
    },
  };
  return self;
}
