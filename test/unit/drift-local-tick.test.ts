import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DriftCheckResult } from '../../functions/lib/drift/drift-invocation.ts';
import { driftTickSecondsFromEnv, startDriftTicks } from '../../local/dev-server.ts';

// `pushgate dev`'s drift schedule, on a fake clock: it invokes the drift function as EventBridge
// Scheduler does, every PUSHGATE_DRIFT_TICK_SECONDS, one tick at a time, until it is stopped.

const STARTED: DriftCheckResult = {
  started: [
    {
      runId: '01RUN',
      repo: 'local/infra',
      environment: 'staging',
      sha: 'a'.repeat(40),
      projects: ['api', 'web'],
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:pushgate-local-deploy:01RUN',
    },
  ],
  skipped: [{ repo: 'local/infra', environment: 'prod', reason: 'not due until 2026-01-01T06:00:00.000Z' }],
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startDriftTicks', () => {
  it("invokes the drift function with the schedule's request every tick, and says what started", async () => {
    const events: unknown[] = [];
    const lines: string[] = [];
    const ticks = startDriftTicks(
      {
        invokeDriftCheck: async (event) => {
          events.push(event);
          return events.length === 1 ? STARTED : { started: [], skipped: [] };
        },
      },
      60,
      (line) => lines.push(line),
    );
    await vi.advanceTimersByTimeAsync(59_999);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual([{ source: 'schedule' }]);
    // A started check is printed; what is not due is not (a tick every minute would drown the progress).
    expect(lines).toEqual(['drift: scheduled check of local/infra staging at aaaaaaa: api, web (run 01RUN)']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toHaveLength(2);
    expect(lines).toHaveLength(1);

    await ticks.stop();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(events).toHaveLength(2);
  });

  it('waits for a slow tick before the next, and stop() waits for it too', async () => {
    let finish: (() => void) | undefined;
    let calls = 0;
    const ticks = startDriftTicks(
      {
        invokeDriftCheck: () => {
          calls += 1;
          return new Promise((resolve) => (finish = () => resolve({ started: [], skipped: [] })));
        },
      },
      1,
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = ticks.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish!();
    await stopping;
    expect(stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
  });

  it('says when a tick failed, and ticks again', async () => {
    const lines: string[] = [];
    let calls = 0;
    const ticks = startDriftTicks(
      {
        invokeDriftCheck: async () => {
          calls += 1;
          throw new Error('DynamoDB is not reachable');
        },
      },
      5,
      (line) => lines.push(line),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(2);
    expect(lines[0]).toBe('drift: the scheduled tick failed: DynamoDB is not reachable');
    await ticks.stop();
  });

  it('does not tick at 0 seconds', async () => {
    let calls = 0;
    const ticks = startDriftTicks(
      {
        invokeDriftCheck: async () => {
          calls += 1;
          return { started: [], skipped: [] };
        },
      },
      0,
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toBe(0);
    await ticks.stop();
  });
});

describe('driftTickSecondsFromEnv', () => {
  it('is 60 by default, the number given, and refuses anything else', () => {
    expect(driftTickSecondsFromEnv({})).toBe(60);
    expect(driftTickSecondsFromEnv({ PUSHGATE_DRIFT_TICK_SECONDS: '5' })).toBe(5);
    expect(driftTickSecondsFromEnv({ PUSHGATE_DRIFT_TICK_SECONDS: '0' })).toBe(0);
    expect(() => driftTickSecondsFromEnv({ PUSHGATE_DRIFT_TICK_SECONDS: 'often' })).toThrow(
      /PUSHGATE_DRIFT_TICK_SECONDS="often": expected seconds between ticks \(0 = off\)/,
    );
    expect(() => driftTickSecondsFromEnv({ PUSHGATE_DRIFT_TICK_SECONDS: '-1' })).toThrow();
  });
});
