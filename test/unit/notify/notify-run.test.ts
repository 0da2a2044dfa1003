import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { NotifyError } from '../../../functions/lib/notify/errors.ts';
import type { Notifier } from '../../../functions/lib/notify/notifier.ts';
import { announces, notifyRun } from '../../../functions/lib/notify/notify-run.ts';
import type { RunOutcome } from '../../../functions/lib/workflow/contract.ts';
import { createSlackNotifier } from '../../../functions/lib/notify/slack-notifier.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import { startSlack, type LocalSlack } from '../../../local/slack/start-slack.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { failedOutcome } from './run-outcome-fixture.ts';

let slack: LocalSlack;
let dynamo: RunningDynalite;
let tableName: string;
let store: Store;

beforeAll(async () => {
  [slack, dynamo] = await Promise.all([startSlack(), startDynalite()]);
  tableName = await createTestTable(dynamo.client);
  store = createDynamoStore({ tableName, client: dynamo.client });
});

afterAll(async () => {
  await Promise.all([slack?.stop(), dynamo?.stop()]);
});

beforeEach(() => {
  slack.messages.length = 0;
  slack.setDown(false);
  slack.failNext(0);
});

/** A recorded run to notify about (recordNotification writes onto it). */
async function recordedOutcome(): Promise<RunOutcome> {
  const runId = randomUUID();
  await store.createRun({
    runId,
    repo: failedOutcome.repo,
    kind: failedOutcome.kind,
    ref: 'refs/heads/main',
    branch: failedOutcome.branch,
    sha: failedOutcome.sha,
    actor: failedOutcome.actor,
    deliveryId: randomUUID(),
  });
  return { ...failedOutcome, runId };
}

/** Records the sleeps instead of sleeping, so the backoff is asserted without waiting. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('notifyRun', () => {
  it('retries a Slack that answers 500 until it accepts, and records the attempts', async () => {
    const outcome = await recordedOutcome();
    slack.failNext(2);
    const { waits, sleep } = recordingSleep();

    const results = await notifyRun(outcome, [createSlackNotifier({ webhookUrl: slack.webhookUrl })], {
      store,
      backoffMs: 100,
      sleep,
    });

    expect(results).toEqual([{ channel: 'slack', ok: true, attempts: 3, at: expect.any(String) }]);
    expect(waits).toEqual([100, 200]);
    expect(slack.messages).toHaveLength(1);
    expect((await store.getRun(outcome.runId))?.notifications).toEqual({
      slack: { ok: true, attempts: 3, at: results[0]!.at },
    });
  });

  it('gives up on a Slack that is down, records why, and does not throw', async () => {
    const outcome = await recordedOutcome();
    slack.setDown(true);

    const results = await notifyRun(outcome, [createSlackNotifier({ webhookUrl: slack.webhookUrl })], {
      store,
      attempts: 3,
      backoffMs: 1,
    });

    const failure = {
      ok: false,
      attempts: 3,
      error: 'Slack answered HTTP 500 (internal_error)',
      at: expect.any(String),
    };
    expect(results).toEqual([{ channel: 'slack', ...failure }]);
    expect(slack.messages).toHaveLength(0);
    expect((await store.getRun(outcome.runId))?.notifications).toEqual({ slack: failure });
  });

  it('does not retry what sending again cannot fix', async () => {
    const outcome = await recordedOutcome();
    const results = await notifyRun(outcome, [createSlackNotifier({ webhookUrl: `${slack.url}/revoked` })], {
      store,
      backoffMs: 1,
    });
    expect(results).toEqual([
      {
        channel: 'slack',
        ok: false,
        attempts: 1,
        error: 'Slack answered HTTP 404 (no_service)',
        at: expect.any(String),
      },
    ]);
  });

  it('tries every channel on its own and records skipped channels without trying them', async () => {
    const outcome = await recordedOutcome();
    const broken: Notifier = {
      channel: 'github',
      notify: () => Promise.reject(new NotifyError('GitHub answered HTTP 502', { retryable: true })),
    };
    const results = await notifyRun(outcome, [broken, createSlackNotifier({ webhookUrl: slack.webhookUrl })], {
      store,
      attempts: 2,
      backoffMs: 1,
      skipped: { email: 'not configured' },
    });
    expect(results.map(({ channel, ok, attempts }) => ({ channel, ok, attempts }))).toEqual([
      { channel: 'email', ok: false, attempts: 0 },
      { channel: 'github', ok: false, attempts: 2 },
      { channel: 'slack', ok: true, attempts: 1 },
    ]);
    expect((await store.getRun(outcome.runId))?.notifications).toMatchObject({
      email: { ok: false, attempts: 0, error: 'not configured' },
      github: { ok: false, attempts: 2, error: 'GitHub answered HTTP 502' },
      slack: { ok: true, attempts: 1 },
    });
  });

  it('does not throw when the result cannot be recorded either', async () => {
    const warn = vi.fn();
    // The run was never recorded, so recordNotification fails with NotFoundError.
    const outcome = { ...failedOutcome, runId: randomUUID() };
    const results = await notifyRun(outcome, [createSlackNotifier({ webhookUrl: slack.webhookUrl })], {
      store,
      logger: { info: vi.fn(), warn },
    });
    expect(results[0]).toMatchObject({ channel: 'slack', ok: true });
    expect(warn).toHaveBeenCalledWith(
      'could not record a notification result',
      expect.objectContaining({ channel: 'slack' }),
    );
  });
});

describe('skipped runs', () => {
  /** A recorded run that ended skipped, as Record returns it. */
  async function skippedOutcome(announceSkipped?: boolean): Promise<RunOutcome> {
    const outcome = await recordedOutcome();
    return {
      ...outcome,
      status: 'skipped',
      reason: 'no environment is mapped to branch feature/x',
      targets: [],
      ...(announceSkipped === undefined ? {} : { announceSkipped }),
    };
  }

  it('are not announced unless pushgate.yml asks: nothing is posted and nothing recorded', async () => {
    const info = vi.fn();
    for (const outcome of [await skippedOutcome(), await skippedOutcome(false)]) {
      const results = await notifyRun(outcome, [createSlackNotifier({ webhookUrl: slack.webhookUrl })], {
        store,
        skipped: { email: 'not configured' },
        logger: { info, warn: vi.fn() },
      });
      expect(results).toEqual([]);
      expect((await store.getRun(outcome.runId))?.notifications).toBeUndefined();
    }
    expect(slack.messages).toHaveLength(0);
    expect(info).toHaveBeenCalledWith(
      'skipped run not announced (pushgate.yml: notify.skipped is off)',
      expect.objectContaining({ reason: 'no environment is mapped to branch feature/x' }),
    );
  });

  it('are posted when the run says announceSkipped (notify.skipped: true)', async () => {
    const outcome = await skippedOutcome(true);
    const results = await notifyRun(outcome, [createSlackNotifier({ webhookUrl: slack.webhookUrl })], { store });
    expect(results).toMatchObject([{ channel: 'slack', ok: true, attempts: 1 }]);
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.payload.text).toBe('acme/infra: deploy of main at 0123456 skipped');
    expect((await store.getRun(outcome.runId))?.notifications).toMatchObject({ slack: { ok: true } });
  });

  it('is the only ending that can go unannounced', () => {
    for (const status of ['succeeded', 'failed', 'no_changes', 'cancelled', 'superseded', 'planned'] as const)
      expect(announces({ ...failedOutcome, status })).toBe(true);
    expect(announces({ ...failedOutcome, status: 'skipped' })).toBe(false);
    expect(announces({ ...failedOutcome, status: 'skipped', announceSkipped: false })).toBe(false);
    expect(announces({ ...failedOutcome, status: 'skipped', announceSkipped: true })).toBe(true);
  });
});
