import { describe, expect, it } from 'vitest';
import { inSyncSince, isDriftDue, nextDriftCheckAt } from '../../functions/lib/drift/drift-due.ts';

// The schedule's clock: a fake `now` against the last check's time, no timers.
const at = (iso: string) => new Date(iso);
const LAST = '2026-01-01T00:00:00.000Z';

describe('isDriftDue', () => {
  it('is due when the environment was never checked', () => {
    expect(isDriftDue(undefined, 360, at(LAST))).toBe(true);
  });

  it('is not due before the interval has passed since the last check, and due from then on', () => {
    expect(isDriftDue(LAST, 360, at('2026-01-01T05:59:59.999Z'))).toBe(false);
    expect(isDriftDue(LAST, 360, at('2026-01-01T06:00:00.000Z'))).toBe(true);
    expect(isDriftDue(LAST, 360, at('2026-01-02T00:00:00.000Z'))).toBe(true);
  });

  it('follows the interval it is given', () => {
    const now = at('2026-01-01T00:30:00.000Z');
    expect(isDriftDue(LAST, 15, now)).toBe(true);
    expect(isDriftDue(LAST, 30, now)).toBe(true);
    expect(isDriftDue(LAST, 31, now)).toBe(false);
  });

  it('is never due when the schedule is off', () => {
    expect(isDriftDue(undefined, undefined, at(LAST))).toBe(false);
    expect(isDriftDue(LAST, undefined, at('2030-01-01T00:00:00.000Z'))).toBe(false);
  });

  it('treats an unreadable last-check time as never checked', () => {
    expect(isDriftDue('yesterday', 360, at(LAST))).toBe(true);
  });

  it('says when the next check is due', () => {
    expect(nextDriftCheckAt(LAST, 90)?.toISOString()).toBe('2026-01-01T01:30:00.000Z');
    expect(nextDriftCheckAt(undefined, 90)).toBeUndefined();
  });
});

describe('inSyncSince', () => {
  it('is the last check, or the least recent deployment when that came later', () => {
    const deployed = ['2026-01-01T03:00:00.000Z', '2026-01-01T01:00:00.000Z'];
    expect(inSyncSince(LAST, deployed)).toBe('2026-01-01T01:00:00.000Z');
    expect(inSyncSince('2026-01-01T02:00:00.000Z', deployed)).toBe('2026-01-01T02:00:00.000Z');
    expect(inSyncSince(undefined, deployed)).toBe('2026-01-01T01:00:00.000Z');
    expect(inSyncSince(LAST, [])).toBe(LAST);
    expect(inSyncSince(undefined, [])).toBeUndefined();
  });

  it('so a check is not due right after a deployment, and is once the interval has passed since', () => {
    const since = inSyncSince(undefined, ['2026-01-01T10:00:00.000Z']);
    expect(isDriftDue(since, 360, at('2026-01-01T10:00:01.000Z'))).toBe(false);
    expect(isDriftDue(since, 360, at('2026-01-01T16:00:00.000Z'))).toBe(true);
  });
});
