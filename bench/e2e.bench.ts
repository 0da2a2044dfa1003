import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { isFinal, type Status } from '../functions/lib/status.ts';
import { runKey } from '../functions/lib/store/keys.ts';
import { git, createLocalRepository } from '../local/git/local-repository.ts';
import { BenchError } from './lib/bench-error.ts';
import { NOOP_PROJECT, noopRepository } from './lib/noop-config.ts';
import { pollUntil } from './lib/poll-until.ts';
import { printTable } from './lib/print-table.ts';
import { runIdsIn } from '../local/git/hooked-repository.ts';
import { startDevProcess, type DevReadyInfo } from './lib/start-dev-process.ts';
import { summarizeTimes } from './lib/summarize-times.ts';
import { timeProcess } from './lib/time-process.ts';

const DEPLOYS = 5;
const STARTS = 3;

interface RunItem {
  status: Status;
  reason?: string;
  notifications?: Record<string, unknown>;
}

/**
 * Issue 4: the local end-to-end time of a no-op deploy, `git push` → the run's `succeeded` record,
 * through `pushgate dev` as a user starts it, and how long `pushgate dev` takes to be ready. The run
 * is read as any client would: from the table, through the DynamoDB endpoint the ready line names.
 */
export default async function e2eBench(): Promise<void> {
  const readyMs: number[] = [];
  let deployMs: number[] = [];
  for (let start = 0; start < STARTS; start++) {
    const dev = await startDevProcess();
    try {
      readyMs.push(dev.readyMs);
      if (start === 0) deployMs = await timeDeploys(dev.info);
    } finally {
      await dev.stop();
    }
  }
  const baselineMs: number[] = [];
  for (let i = 0; i < STARTS; i++) baselineMs.push(await timeProcess(process.execPath, ['-e', '']));

  const deploys = summarizeTimes(deployMs);
  console.log(
    `\n(1) no-op \`command\` deploy through \`pushgate dev\` (child process), git push → run record \`succeeded\`, ${deploys.count} runs after one warm-up`,
  );
  printTable(
    ['', 'median ms', 'p90 ms', 'min ms'],
    [['push → succeeded', deploys.median.toFixed(0), deploys.p90.toFixed(0), deploys.min.toFixed(0)]],
  );

  const ready = summarizeTimes(readyMs);
  const baseline = summarizeTimes(baselineMs);
  console.log(
    `\n(2) \`pushgate dev --json --port 0\`: spawn → ready line, median of ${STARTS} starts (node ${process.version})`,
  );
  printTable(
    ['', 'median ms', 'min ms'],
    [
      ['pushgate dev ready', ready.median.toFixed(0), ready.min.toFixed(0)],
      ["node -e '' (spawn → exit)", baseline.median.toFixed(0), baseline.min.toFixed(0)],
      ['ratio', (ready.median / baseline.median).toFixed(1), ''],
    ],
  );
}

/** One warm-up deploy, then DEPLOYS timed ones, each pushed from a working clone to the dev remote. */
async function timeDeploys(info: DevReadyInfo): Promise<number[]> {
  const root = await mkdtemp(join(tmpdir(), 'pushgate-bench-e2e-'));
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: info.endpoints.dynamodb,
    // What pushgate dev printed: its services answer no other credentials.
    credentials: info.credentials,
  });
  const documents = DynamoDBDocumentClient.from(client);
  try {
    const repo = await createLocalRepository(root);
    await git(repo.work, 'remote', 'add', 'pushgate', info.remote);
    const readRun = async (runId: string) =>
      (await documents.send(new GetCommand({ TableName: info.tableName, Key: runKey(runId), ConsistentRead: true })))
        .Item as RunItem | undefined;

    const deploy = async (files: Record<string, string>, message: string): Promise<number> => {
      await repo.commit(files, message);
      const startedAt = performance.now();
      const { stdout, stderr } = await repo.push('pushgate', 'HEAD:refs/heads/main');
      const runIds = runIdsIn(`${stdout}${stderr}`);
      if (runIds.length !== 1)
        throw new BenchError(`expected the push to start one run; git said:\n${stdout}${stderr}`);
      const runId = runIds[0]!;
      const run = await pollUntil(
        () => readRun(runId),
        (item) => isFinal(item.status),
        { what: `run ${runId} to end` },
      );
      const elapsed = performance.now() - startedAt;
      if (run.status !== 'succeeded') throw new BenchError(`no-op deploy ${runId} ended ${run.status}: ${run.reason}`);
      // Notify records its outcome after the final status: the next push starts once this run is done.
      await pollUntil(
        () => readRun(runId),
        (item) => item.notifications !== undefined,
        { what: `run ${runId} to be notified` },
      );
      return elapsed;
    };

    await deploy(noopRepository(), 'first deploy');
    const times: number[] = [];
    for (let i = 1; i <= DEPLOYS; i++) {
      times.push(await deploy({ [`${NOOP_PROJECT.dir}/version`]: `${i}\n` }, `deploy ${i}`));
    }
    return times;
  } finally {
    client.destroy();
    await rm(root, { recursive: true, force: true });
  }
}
