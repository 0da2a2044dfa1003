import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { RunRecord, Store } from '../../functions/lib/store/types.ts';
import { localRunHistory } from '../../local/stepfunctions/local-run-history.ts';
import { createHookedRepository, runIdsIn } from '../../local/git/hooked-repository.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { BenchError } from './bench-error.ts';

export interface Push {
  sha: string;
  runIds: string[];
  /** What git printed, the hook's `remote: pushgate: …` lines included. */
  output: string;
  /** performance.now() when `git push` was started (after the commit). */
  startedAt: number;
}

export interface BenchRepository {
  fullName: string;
  /** Commits the files (the seed files on the first push) and pushes them to `branch`. */
  push(files: Record<string, string>, message: string, branch?: string): Promise<Push>;
  sha(ref?: string): Promise<string>;
}

export interface EndedRun {
  run: RunRecord;
  executionStatus: string | undefined;
  history: HistoryEvent[];
}

export interface BenchStack {
  stack: LocalStack;
  store: Store;
  /** A new repository `local/<name>` served by the local GitHub, whose pushes reach the webhook. */
  repository(name: string, seed: Record<string, string>): Promise<BenchRepository>;
  /** The run's record and whole execution history, once its execution has ended. */
  ended(runId: string): Promise<EndedRun>;
  stop(): Promise<void>;
}

/**
 * The local stack in this process, driven as the integration tests drive it: a commit, a real
 * `git push`, the post-receive hook's signed webhook. The handlers run in this process, so a process
 * holds one such stack (local/stack.ts).
 */
export async function startBenchStack(): Promise<BenchStack> {
  const root = await mkdtemp(join(tmpdir(), 'pushgate-bench-'));
  // As `pushgate dev` runs it (local/dev-server.ts): retry intervals and waits at a tenth.
  const stack = await startLocalStack({ deployRoot: join(root, 'deployed'), timeScale: 0.1 });
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.endpoints.dynamodb,
    credentials: stack.credentials,
  });
  const store = createDynamoStore({ tableName: stack.tableName, client });

  async function ended(runId: string): Promise<EndedRun> {
    const executionArn = (await store.getRun(runId))?.executionArn;
    if (!executionArn) throw new BenchError(`run ${runId} has no execution`);
    const execution = await stack.stepfunctions.waitForExecution(executionArn, { timeoutMs: 60_000 });
    // The run's execution and its child executions (one per chunk of targets): AWS bills the
    // transitions of both.
    const history = await localRunHistory(stack.stepfunctions, executionArn);
    const run = await store.getRun(runId);
    if (!run) throw new BenchError(`run ${runId} disappeared`);
    return { run, executionStatus: execution.status, history };
  }

  return {
    stack,
    store,
    ended,
    async repository(name, seed) {
      const fullName = `local/${name}`;
      const repo = await createHookedRepository(stack, root, fullName);
      let seeded = false;
      return {
        fullName,
        sha: (ref) => repo.sha(ref),
        async push(files, message, branch = 'main') {
          const sha = await repo.commit(seeded ? files : { ...seed, ...files }, message);
          seeded = true;
          const startedAt = performance.now();
          const { stdout, stderr } = await repo.push('origin', `HEAD:refs/heads/${branch}`);
          const output = `${stdout}${stderr}`;
          return { sha, runIds: runIdsIn(output), output, startedAt };
        },
      };
    },
    async stop() {
      client.destroy();
      await stack.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
