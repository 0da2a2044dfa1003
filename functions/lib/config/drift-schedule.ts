import * as z from 'zod';

/** A drift schedule as parsed: how often a check runs, or `off` (no scheduled checks; `pushgate drift` still checks). */
export type DriftSchedule = { everyMinutes: number } | 'off';

/** EventBridge's shortest sensible drift interval: a check is a plan build, not a heartbeat. */
export const MIN_DRIFT_MINUTES = 5;

/** The default of `drift.schedule`: every 6 hours. */
export const DEFAULT_DRIFT_SCHEDULE = 'rate(6 hours)';

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MINUTES = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 } as const;

/**
 * `drift.schedule` in pushgate.yml: EventBridge's rate syntax (`rate(6 hours)`, `rate(30 minutes)`,
 * `rate(1 day)`; n ≥ 1, at least 5 minutes in total) or `off`.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#rate-based
 */
export const DriftScheduleText = z
  .string({ error: 'expected rate(<n> minutes|hours|days) or off' })
  .transform((text, ctx): DriftSchedule => {
    const trimmed = text.trim();
    if (trimmed === 'off') return 'off';
    const match = RATE.exec(trimmed);
    if (match === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected rate(<n> minutes|hours|days) or off, e.g. ${DEFAULT_DRIFT_SCHEDULE}; got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    const count = Number(match[1]);
    const minutes = count * UNIT_MINUTES[match[2] as keyof typeof UNIT_MINUTES];
    if (count < 1 || minutes < MIN_DRIFT_MINUTES) {
      ctx.addIssue({ code: 'custom', message: `a drift check runs at most every ${MIN_DRIFT_MINUTES} minutes` });
      return z.NEVER;
    }
    return { everyMinutes: minutes };
  })
  .meta({ pattern: '^(off|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$' });

/** Minutes between scheduled drift checks; undefined when the schedule is `off`. */
export function driftIntervalMinutes(schedule: DriftSchedule): number | undefined {
  return schedule === 'off' ? undefined : schedule.everyMinutes;
}

/** The parsed default schedule (rate(6 hours)). */
export const DEFAULT_DRIFT: { schedule: DriftSchedule; remediate: boolean; issue: boolean } = {
  schedule: { everyMinutes: 6 * 60 },
  remediate: false,
  issue: false,
};
