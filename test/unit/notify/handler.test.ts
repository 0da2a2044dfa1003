import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunOutcome } from '../../../functions/lib/workflow/contract.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import { startSlack, type LocalSlack } from '../../../local/slack/start-slack.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { failedOutcome } from './run-outcome-fixture.ts';

let slack: LocalSlack;
let dynamo: RunningDynalite;
let store: Store;
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  [slack, dynamo] = await Promise.all([startSlack(), startDynalite()]);
  const tableName = await createTestTable(dynamo.client);
  store = createDynamoStore({ tableName, client: dynamo.client });
  const env = {
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    PUSHGATE_LOCAL: '1',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  ({ handler } = await import('../../../functions/notify/handler.ts'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([slack?.stop(), dynamo?.stop()]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function recordedOutcome(): Promise<RunOutcome> {
  const runId = randomUUID();
  const { repo, kind, branch, sha, actor } = failedOutcome;
  await store.createRun({ runId, repo, kind, ref: 'refs/heads/main', branch, sha, actor, deliveryId: randomUUID() });
  return { ...failedOutcome, runId };
}

/** What the handler's Powertools logger writes: JSON lines, INFO to stdout and WARN to stderr. */
function captureLogs(): string[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
  return lines;
}

describe('Notify handler', () => {
  it('posts to the configured Slack webhook and records it', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', slack.webhookUrl);
    const outcome = await recordedOutcome();
    const logs = captureLogs();

    await expect(handler({ outcome })).resolves.toEqual({
      // GitHub is not configured here (no token): recorded as not sent.
      notifications: [
        { channel: 'github', ok: false, attempts: 0 },
        { channel: 'slack', ok: true, attempts: 1 },
      ],
    });

    expect(slack.messages.at(-1)?.payload.text).toBe('acme/infra: deploy of main to staging, prod at 0123456 failed');
    expect((await store.getRun(outcome.runId))?.notifications?.slack).toMatchObject({ ok: true, attempts: 1 });
    expect(logs.join('')).toContain('notification sent');
    expect(logs.join('')).not.toContain(slack.webhookUrl);
  });

  it('records a refused webhook without throwing and never logs its URL', async () => {
    const webhookUrl = `${slack.url}/hooks/T0/B0/very-secret-token`;
    vi.stubEnv('SLACK_WEBHOOK_URL', webhookUrl);
    const outcome = await recordedOutcome();
    const logs = captureLogs();

    await expect(handler({ outcome })).resolves.toEqual({
      notifications: [
        { channel: 'github', ok: false, attempts: 0 },
        { channel: 'slack', ok: false, attempts: 1 },
      ],
    });

    expect((await store.getRun(outcome.runId))?.notifications?.slack).toMatchObject({
      ok: false,
      error: 'Slack answered HTTP 404 (no_service)',
    });
    expect(logs.join('')).toContain('notification failed');
    expect(logs.join('')).not.toContain('very-secret-token');
  });

  it('skips Slack when no webhook is configured, with a log line and a record', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', '');
    vi.stubEnv('SLACK_WEBHOOK_URL_PARAMETER', '');
    const outcome = await recordedOutcome();
    const logs = captureLogs();
    const posted = slack.messages.length;

    await expect(handler({ outcome })).resolves.toEqual({
      notifications: [
        { channel: 'github', ok: false, attempts: 0 },
        { channel: 'slack', ok: false, attempts: 0 },
      ],
    });

    expect(slack.messages).toHaveLength(posted);
    expect((await store.getRun(outcome.runId))?.notifications?.slack).toMatchObject({
      ok: false,
      attempts: 0,
      error:
        'not configured (neither SLACK_BOT_TOKEN_PARAMETER nor SLACK_WEBHOOK_URL_PARAMETER names a parameter that exists)',
    });
    expect(logs.join('')).toContain('notification channel skipped');
  });

  it('posts a skipped run only when its outcome says announceSkipped (pushgate.yml notify.skipped)', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', slack.webhookUrl);
    const skipped = async (): Promise<RunOutcome> => ({
      ...(await recordedOutcome()),
      status: 'skipped',
      reason: 'pull requests from forks are not planned',
      targets: [],
    });
    const posted = slack.messages.length;
    const logs = captureLogs();

    const quiet = await skipped();
    await expect(handler({ outcome: quiet })).resolves.toEqual({ notifications: [] });
    expect(slack.messages).toHaveLength(posted);
    expect(logs.join('')).toContain('skipped run not announced');
    expect((await store.getRun(quiet.runId))?.notifications).toBeUndefined();

    const announced = { ...(await skipped()), announceSkipped: true };
    await expect(handler({ outcome: announced })).resolves.toEqual({
      // GitHub is not configured here (no token): recorded as not sent.
      notifications: [
        { channel: 'github', ok: false, attempts: 0 },
        { channel: 'slack', ok: true, attempts: 1 },
      ],
    });
    expect(slack.messages).toHaveLength(posted + 1);
    expect(slack.messages.at(-1)?.payload.text).toBe('acme/infra: deploy of main at 0123456 skipped');
  });

  it('rejects an input that is not { outcome }', async () => {
    await expect(handler({ outcome: { runId: 'x' } })).rejects.toThrow(/^Notify received an input it cannot use/);
  });
});
