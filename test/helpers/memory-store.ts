import { canTransition } from '../../functions/lib/status.ts';
import type { RunRecord } from '../../functions/lib/store/types.ts';
import type { IntakeStore } from '../../functions/lib/webhook/intake.ts';

/** The store the webhook intake writes (IntakeStore), kept in memory, with its records to look at. */
export type MemoryStore = IntakeStore & {
  runs: Map<string, RunRecord>;
  deliveries: Map<string, string>;
};

/**
 * An in-memory IntakeStore double for unit tests of the webhook intake and handler. It is a plain
 * object of functions, so a test can replace one (`{ ...store, createRun: failing }`).
 */
export function createMemoryStore(): MemoryStore {
  const runs = new Map<string, RunRecord>();
  const deliveries = new Map<string, string>();
  return {
    runs,
    deliveries,
    async acceptDelivery(deliveryId, runId) {
      const existing = deliveries.get(deliveryId);
      if (existing !== undefined) return { accepted: false, runId: existing };
      deliveries.set(deliveryId, runId);
      return { accepted: true };
    },
    async forgetDelivery(deliveryId, runId) {
      if (deliveries.get(deliveryId) === runId) deliveries.delete(deliveryId);
    },
    async createRun(run, now = new Date()) {
      if (runs.has(run.runId)) throw new Error(`run ${run.runId} exists`);
      const at = now.toISOString();
      const record: RunRecord = { ...run, status: run.status ?? 'queued', createdAt: at, updatedAt: at };
      runs.set(run.runId, record);
      return { ...record };
    },
    async setRunStatus(runId, status, fields = {}, now = new Date()) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      if (!canTransition(run.status, status)) throw new Error(`run ${runId}: ${run.status} → ${status} not allowed`);
      Object.assign(run, fields, { status, updatedAt: now.toISOString() });
      return { ...run };
    },
  };
}
