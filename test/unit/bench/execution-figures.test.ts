import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionFigures, stateDuration } from '../../../bench/lib/execution-figures.ts';
import { handoffLatencies, percentile } from '../../../bench/lib/handoff-latencies.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
let id = 0;
const event = (ms: number, fields: Partial<HistoryEvent>): HistoryEvent =>
  ({ id: ++id, timestamp: at(ms), ...fields }) as HistoryEvent;
const enter = (ms: number, name: string, input = '{}') =>
  event(ms, { type: 'TaskStateEntered', stateEnteredEventDetails: { name, input } });
const exit = (ms: number, name: string, output = '{}') =>
  event(ms, { type: 'TaskStateExited', stateExitedEventDetails: { name, output } });

describe('executionFigures', () => {
  it('finds the largest payload in UTF-8 bytes, where it was, and the quota the execution failed on', () => {
    const history = [
      event(0, { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"a":1}' } }),
      enter(1, 'Validate'),
      // 4 characters, 12 bytes in UTF-8: more bytes than the 10 below, fewer characters.
      exit(2, 'Validate', '€€€€'),
      enter(3, 'Waves', 'x'.repeat(10)),
      event(4, {
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: 'States.DataLimitExceeded', cause: "The state/task 'Waves' …" },
      }),
    ];
    expect(executionFigures(history)).toEqual({
      transitions: 2,
      retries: 0,
      events: 5,
      largestPayloadBytes: 12,
      largestPayloadAt: 'Validate output',
      failure: { error: 'States.DataLimitExceeded', cause: "The state/task 'Waves' …" },
    });
  });

  it('has no failure for a succeeded execution', () => {
    const history = [event(0, { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{}' } })];
    expect(executionFigures(history).failure).toBeUndefined();
  });
});

describe('stateDuration', () => {
  it('runs from the entry to the exit, or to the last event when the state never exited', () => {
    expect(stateDuration([enter(10, 'Validate'), exit(250, 'Validate')], 'Validate')).toBe(240);
    expect(stateDuration([enter(10, 'Validate'), event(90, { type: 'ExecutionFailed' })], 'Validate')).toBe(80);
    expect(stateDuration([enter(10, 'Other')], 'Validate')).toBeUndefined();
  });
});

describe('handoffLatencies', () => {
  it('pairs each resume with the latest release by another run before it', () => {
    const first = { runId: 'r1', history: [enter(0, 'ReleaseLock'), enter(500, 'ReleaseLock')] };
    const second = {
      runId: 'r2',
      history: [enter(100, 'WaitForLock'), exit(520, 'WaitForLock'), enter(900, 'TargetFailed')],
    };
    const third = { runId: 'r3', history: [enter(200, 'WaitForLock'), exit(1000, 'WaitForLock')] };
    const { latencies, longest } = handoffLatencies([first, second, third]);
    expect(latencies).toEqual([20, 100]);
    expect(longest).toMatchObject({ runId: 'r3', waitedMs: 800 });
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 99), percentile([], 50)]).toEqual([50, 99, NaN]);
  });
});
