import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { localRunHistory } from '../../local/stepfunctions/local-run-history.ts';
import { createDynamoStore } from '../../functions/lib/store/index.ts';
import type { RunRecord, Store, TargetRecord } from '../../functions/lib/store/types.ts';
import { isFinal } from '../../functions/lib/status.ts';
import { createHookedRepository, runIdsIn } from '../../local/git/hooked-repository.ts';
import type { LocalRepository } from '../../local/git/local-repository.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.ts';

/** Stand-ins for terraform / tofu / aws that replay fixture plans (terraform cannot be installed here). */
export const FIXTURE_BIN = fileURLToPath(new URL('../fixtures/bin/', import.meta.url));

export interface Harness {
  /** A run's execution's history merged with its child executions' (the targets' steps), by time. */
  runHistory(executionArn: string): Promise<HistoryEvent[]>;
  root: string;
  stack: LocalStack;
  store: Store;
  /** Every terraform stand-in invocation, one line each (`terraform plan …`). */
  terraformLog(): Promise<string[]>;
  /** A new repository `local/<name>` served by the local GitHub, whose pushes reach the webhook. */
  repository(name: string, files: Record<string, string>): Promise<HarnessRepo>;
  stop(): Promise<void>;
}

export interface FinishedRun {
  run: RunRecord;
  targets: TargetRecord[];
  execution: { status?: string; executionArn: string };
  history: HistoryEvent[];
  /** Names of the states entered, in order. */
  states: string[];
}

export interface HarnessRepo {
  repo: LocalRepository;
  fullName: string;
  /** Commits the files and pushes `branch`; the post-receive hook sends the webhook. Returns the run ids it started. */
  push(
    files: Record<string, string | null>,
    message?: string,
    branch?: string,
  ): Promise<{ sha: string; runIds: string[]; output: string }>;
  /** Waits until the run's execution has ended and returns its records and history. */
  finished(runId: string): Promise<FinishedRun>;
  /** push + finished for the single run the push started. */
  deploy(files: Record<string, string | null>, message?: string): Promise<FinishedRun>;
}

export async function startHarness(options: LocalStackOptions = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'pushgate-harness-'));
  const terraformLogFile = join(root, 'terraform.log');
  const stack = await startLocalStack({
    fastRetries: true,
    deployRoot: join(root, 'deployed'),
    extraPath: [FIXTURE_BIN],
    buildEnv: { FAKE_TERRAFORM_LOG: terraformLogFile },
    ...options,
  });
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.endpoints.dynamodb,
    // The stack's own credentials: its DynamoDB answers no others.
    credentials: stack.credentials,
  });
  const store = createDynamoStore({ tableName: stack.tableName, client });

  /** A run's execution and its child executions (one per chunk of targets), as one timeline. */
  const runHistoryOf = (executionArn: string) => localRunHistory(stack.stepfunctions, executionArn);

  async function finished(runId: string): Promise<FinishedRun> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const run = await store.getRun(runId);
      if (run?.executionArn) {
        const execution = await stack.stepfunctions.waitForExecution(run.executionArn, { timeoutMs: 60_000 });
        const history = await runHistoryOf(run.executionArn);
        const final = (await store.getRun(runId))!;
        return {
          run: final,
          targets: await store.listTargets(runId),
          execution: { status: execution.status, executionArn: run.executionArn },
          history,
          states: history.flatMap((event) =>
            event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : [],
          ),
        };
      }
      if (run && isFinal(run.status))
        throw new Error(`run ${runId} ended ${run.status} without an execution: ${run.reason}`);
      if (Date.now() > deadline) throw new Error(`run ${runId} never started an execution`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    root,
    runHistory: runHistoryOf,
    stack,
    store,
    async terraformLog() {
      try {
        return (await readFile(terraformLogFile, 'utf8')).trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    async repository(name, files) {
      const fullName = `local/${name}`;
      const repo = await createHookedRepository(stack, root, fullName);
      let seeded = false;
      const self: HarnessRepo = {
        repo,
        fullName,
        async push(changes, message = 'change', branch = 'main') {
          const sha = await repo.commit(seeded ? changes : { ...files, ...changes }, message);
          seeded = true;
          const { stdout, stderr } = await repo.push('origin', `HEAD:refs/heads/${branch}`);
          const output = `${stdout}${stderr}`;
          return { sha, runIds: runIdsIn(output), output };
        },
        finished,
        async deploy(changes, message) {
          const { runIds, output } = await self.push(changes, message);
          if (runIds.length !== 1) throw new Error(`expected one run, the push said:\n${output}`);
          return finished(runIds[0]!);
        },
      };
      return self;
    },
    async stop() {
      client.destroy();
      await stack.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A pushgate.yml with one terraform project deployed to the given environments. */
export function terraformConfig(
  options: {
    environments?: Record<
      string,
      { after?: string; variables?: Record<string, string>; approval?: { required: boolean; approvers: string[] } }
    >;
    projects?: string[];
    concurrency?: 'queue' | 'supersede';
  } = {},
): string {
  const environments = options.environments ?? { staging: {} };
  const projects = options.projects ?? ['network'];
  const env = Object.entries(environments)
    .map(([name, e]) => {
      const lines = [`  ${name}:`, `    branch: main`];
      if (e.after) lines.push(`    after: ${e.after}`);
      if (e.approval) lines.push(`    approval: ${JSON.stringify(e.approval)}`);
      if (e.variables) lines.push(`    variables: ${JSON.stringify(e.variables)}`);
      return lines.join('\n');
    })
    .join('\n');
  const proj = projects
    .map(
      (name) =>
        `  - name: ${name}\n    dir: infra/${name}\n    engine: terraform\n    environments: [${Object.keys(environments).join(', ')}]`,
    )
    .join('\n');
  return `version: 1\nenvironments:\n${env}\nprojects:\n${proj}\nconcurrency: ${options.concurrency ?? 'queue'}\n`;
}
