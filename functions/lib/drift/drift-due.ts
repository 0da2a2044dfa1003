/**
 * Whether a scheduled drift check of an environment is due at `now`: never checked yet, or its last
 * check started at least `intervalMinutes` ago. `intervalMinutes` undefined (`drift.schedule: off`)
 * is never due. The schedule ticks more often than any interval (every 15 minutes on AWS), so a check
 * starts at most one tick after it is due.
 */
export function isDriftDue(
  lastDriftCheckAt: string | undefined,
  intervalMinutes: number | undefined,
  now: Date,
): boolean {
  if (intervalMinutes === undefined) return false;
  const next = nextDriftCheckAt(lastDriftCheckAt, intervalMinutes);
  return next === undefined || next.getTime() <= now.getTime();
}

/** When the next scheduled check is due; undefined when it is due already (never checked, or an unreadable time). */
export function nextDriftCheckAt(lastDriftCheckAt: string | undefined, intervalMinutes: number): Date | undefined {
  if (lastDriftCheckAt === undefined) return undefined;
  const last = Date.parse(lastDriftCheckAt);
  if (Number.isNaN(last)) return undefined;
  return new Date(last + intervalMinutes * 60_000);
}

/**
 * Since when an environment is known to match what was deployed: its last drift check, or the
 * deployment of its least recently deployed project when that came later (a deployment plans and
 * applies, so it leaves the project as deployed). The schedule's interval counts from here, so a
 * check never follows right after a deployment. Undefined when there is neither.
 */
export function inSyncSince(lastDriftCheckAt: string | undefined, deployedAt: readonly string[]): string | undefined {
  const times = deployedAt.map((at) => Date.parse(at)).filter((time) => !Number.isNaN(time));
  const oldestDeployment = times.length === 0 ? undefined : Math.min(...times);
  const lastCheck = lastDriftCheckAt === undefined ? Number.NaN : Date.parse(lastDriftCheckAt);
  const candidates = [oldestDeployment, Number.isNaN(lastCheck) ? undefined : lastCheck].filter(
    (time): time is number => time !== undefined,
  );
  return candidates.length === 0 ? undefined : new Date(Math.max(...candidates)).toISOString();
}
