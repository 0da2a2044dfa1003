import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Webhooks } from '@octokit/webhooks';
import { build } from 'esbuild';
import { createDynamoStore } from '../functions/lib/store/index.ts';
import type { Store } from '../functions/lib/store/index.ts';
import { createIntake } from '../functions/lib/webhook/intake.ts';
import type { IntakeStore } from '../functions/lib/webhook/intake.ts';
import type { IntakeRequest } from '../functions/lib/webhook/types.ts';
import { executionArn } from '../functions/lib/workflow/execution-arn.ts';
import type { Workflow } from '../functions/lib/workflow/workflow.ts';
import { lambdaBuildOptions } from '../scripts/esbuild-options.ts';
import { createTestTable, startDynalite } from '../test/helpers/dynalite.ts';
import { githubExamples } from '../test/helpers/github-examples.ts';
import { createMemoryWorkflow } from '../test/helpers/memory-workflow.ts';
import { apiGatewayEvent, sign } from '../test/helpers/sign.ts';

// This machine runs Node 20, Lambda runs 22: the SDK's warning about Node 20 would only cut the tables.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SECRET = 'bench-secret';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:pushgate-bench';
const EVENTS = ['push', 'pull_request', 'issue_comment', 'ping'];
const silent = new Logger({ serviceName: 'pushgate-bench', logLevel: 'SILENT' });

interface Delivery {
  event: string;
  body: string;
  signature: string;
}

/** Every documented example of the events pushgate reads, serialized and signed once. */
function deliveries(): Delivery[] {
  return EVENTS.flatMap((event) =>
    githubExamples(event).map((payload) => {
      const body = JSON.stringify(payload);
      return { event, body, signature: sign(SECRET, body) };
    }),
  );
}

function intakeRequest(delivery: Delivery, deliveryId: string): IntakeRequest {
  return {
    method: 'POST',
    path: '/webhook',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': delivery.event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '109948940',
      'x-hub-signature-256': delivery.signature,
    },
    body: delivery.body,
    isBase64Encoded: false,
  };
}

/** Store and workflow doubles that keep nothing, so every request takes the full path at constant cost. */
function nullStore(): IntakeStore {
  return {
    acceptDelivery: async () => ({ accepted: true }),
    forgetDelivery: async () => {},
    createRun: async (run, now = new Date()) => ({
      ...run,
      status: 'queued',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    }),
    setRunStatus: async () => {
      throw new Error('not used');
    },
  };
}
function nullWorkflow(): Workflow {
  return {
    executionArn: (name) => executionArn(STATE_MACHINE_ARN, name),
    start: async (_input, name) => ({ executionArn: executionArn(STATE_MACHINE_ARN, name), alreadyStarted: false }),
    runIdOf: async () => undefined,
  };
}

/** CPU time per call of `run` over `durationMs`, after a warm-up of a quarter of it. */
async function cpuPerCall(
  durationMs: number,
  run: (i: number) => Promise<void>,
): Promise<{ calls: number; cpuMicros: number }> {
  const warmUntil = performance.now() + durationMs / 4;
  for (let i = 0; performance.now() < warmUntil; i++) await run(i);
  const start = process.cpuUsage();
  const until = performance.now() + durationMs;
  let calls = 0;
  // Check the clock every 64 calls only: the clock read is not free either.
  while (performance.now() < until) {
    for (let j = 0; j < 64; j++) await run(calls++);
  }
  const used = process.cpuUsage(start);
  return { calls, cpuMicros: (used.user + used.system) / calls };
}

async function intakeCpu(): Promise<void> {
  const all = deliveries();
  const intake = createIntake({
    store: nullStore(),
    workflow: nullWorkflow(),
    secrets: [SECRET],
    allowedRepos: ['codertocat/*', 'octocoders/*'],
    logger: silent,
  });
  const statuses = new Map<number, number>();
  for (const [i, delivery] of all.entries()) {
    const { statusCode } = await intake(intakeRequest(delivery, `check-${i}`));
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  }
  const webhooks = new Webhooks({ secret: SECRET });

  const ours = await cpuPerCall(2000, async (i) => {
    const response = await intake(intakeRequest(all[i % all.length]!, `d-${i}`));
    if (response.statusCode >= 300) throw new Error(`unexpected ${response.statusCode}`);
  });
  const octokit = await cpuPerCall(2000, async (i) => {
    const delivery = all[i % all.length]!;
    await webhooks.verifyAndReceive({
      id: `d-${i}`,
      name: delivery.event as 'push',
      payload: delivery.body,
      signature: delivery.signature,
    });
  });
  const bytes = all.reduce((sum, delivery) => sum + Buffer.byteLength(delivery.body), 0) / all.length;
  const answers = [...statuses].map(([status, count]) => `${count}×${status}`).join(' ');
  console.log(
    `\n(1) intake CPU per request: ${all.length} signed examples (${EVENTS.join(', ')}), mean ${(bytes / 1024).toFixed(1)} KiB; answers ${answers}`,
  );
  table(
    ['', 'calls', 'CPU µs/req'],
    [
      ['pushgate intake (in-memory store + workflow)', String(ours.calls), ours.cpuMicros.toFixed(1)],
      ['@octokit/webhooks verifyAndReceive', String(octokit.calls), octokit.cpuMicros.toFixed(1)],
      ['ratio (goal ≤ 1.5)', '', (ours.cpuMicros / octokit.cpuMicros).toFixed(2)],
    ],
  );
}

async function handlerOnDynalite(): Promise<void> {
  const dynamo = await startDynalite();
  try {
    const store: Store = createDynamoStore({ tableName: await createTestTable(dynamo.client), client: dynamo.client });
    // handler.ts checks its configuration on import; createHandler then gets the real store.
    Object.assign(process.env, {
      PUSHGATE_LOCAL: '1',
      TABLE_NAME: 'unused',
      STATE_MACHINE_ARN,
      ALLOWED_REPOS: 'codertocat/*',
      WEBHOOK_SECRET: SECRET,
    });
    process.env.AWS_REGION ??= 'us-east-1';
    const { createHandler } = await import('../functions/webhook/handler.ts');
    const handler = createHandler({
      store,
      workflow: createMemoryWorkflow(STATE_MACHINE_ARN),
      secrets: [SECRET],
      allowedRepos: ['codertocat/*'],
      logger: silent,
    });
    // Deliveries that start a run: each is one conditional put and one put on DynamoDB.
    const starting = deliveries().filter((delivery) => {
      const payload = JSON.parse(delivery.body) as { ref?: string; deleted?: boolean; action?: string };
      return delivery.event === 'push'
        ? payload.ref?.startsWith('refs/heads/') && !payload.deleted
        : delivery.event === 'pull_request' && ['opened', 'synchronize', 'reopened'].includes(payload.action ?? '');
    });

    let sequence = 0;
    const once = async () => {
      const delivery = starting[sequence++ % starting.length]!;
      const result = await handler(
        apiGatewayEvent({
          body: delivery.body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': delivery.event,
            'x-github-delivery': `bench-${sequence}`,
            'x-hub-signature-256': delivery.signature,
          },
        }),
      );
      if (result.statusCode !== 202) throw new Error(`unexpected ${result.statusCode}: ${result.body}`);
    };

    const rows: string[][] = [];
    for (const inFlight of [1, 32]) {
      await load(once, inFlight, 500);
      const { count, seconds, latencies } = await load(once, inFlight, 3000);
      latencies.sort((a, b) => a - b);
      rows.push([
        String(inFlight),
        String(count),
        (count / seconds).toFixed(0),
        percentile(latencies, 0.5).toFixed(2),
        percentile(latencies, 0.99).toFixed(2),
      ]);
    }
    console.log(
      `\n(2) handler with DynamoDB on dynalite (in-process), workflow in memory; ${starting.length} run-starting payloads, 202 each`,
    );
    table(['in flight', 'requests', 'req/s', 'p50 ms', 'p99 ms'], rows);
  } finally {
    await dynamo.stop();
  }
}

async function load(once: () => Promise<void>, inFlight: number, durationMs: number) {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await once();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { count: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function bundleAndColdStart(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pushgate-bench-'));
  try {
    const entry = fileURLToPath(new URL('../functions/webhook/handler.ts', import.meta.url));
    const bundle = join(dir, 'webhook.mjs');
    await build(lambdaBuildOptions(entry, bundle));
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');

    const env = {
      ...process.env,
      PUSHGATE_LOCAL: '1',
      TABLE_NAME: 'pushgate-bench',
      STATE_MACHINE_ARN,
      ALLOWED_REPOS: 'codertocat/*',
      WEBHOOK_SECRET: SECRET,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    };
    const time = (file: string) => {
      const runs: { process: number; load: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});console.log(performance.now()-t)`;
        const t0 = performance.now();
        const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
        const wall = performance.now() - t0;
        if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
        runs.push({ process: wall, load: Number(child.stdout.trim()) });
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      return { process: median(runs.map((run) => run.process)), load: median(runs.map((run) => run.load)) };
    };
    const base = time(empty);
    const webhook = time(bundle);
    console.log(
      `\n(3) webhook bundle (esbuild, minified ESM, node22) and cold import in a fresh node ${process.version}, median of 5`,
    );
    table(
      ['', 'size KiB', 'import ms', 'process ms'],
      [
        ['empty module', (statSync(empty).size / 1024).toFixed(1), base.load.toFixed(1), base.process.toFixed(0)],
        [
          'functions/webhook/handler.ts',
          (statSync(bundle).size / 1024).toFixed(1),
          webhook.load.toFixed(1),
          webhook.process.toFixed(0),
        ],
        ['difference', '', (webhook.load - base.load).toFixed(1), (webhook.process - base.process).toFixed(0)],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

export default async function intakeBench(): Promise<void> {
  await intakeCpu();
  await handlerOnDynalite();
  await bundleAndColdStart();
}
