import { canTransition } from '../../functions/lib/status.ts';
import type { RunRecord, Store } from '../../functions/lib/store/types.ts';

/** The store operations the webhook intake uses, kept in memory; anything else throws. */
export type MemoryStore = Store & {
  runs: Map<string, RunRecord>;
  deliveries: Map<string, string>;
};

/**
 * An in-memory Store double for unit tests and benchmarks of the webhook intake. It is a plain
 * object of functions, so a test can replace one (`{ ...store, createRun: failing }`).
 */
export function createMemoryStore(): MemoryStore {
  const runs = new Map<string, RunRecord>();
  const deliveries = new Map<string, string>();
  const unused = (name: string) => () => Promise.reject(new Error(`memory store: ${name} is not implemented`));
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
    async getRun(runId) {
      const run = runs.get(runId);
      return run && { ...run };
    },
    async setRunStatus(runId, status, fields = {}, now = new Date()) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      if (!canTransition(run.status, status)) throw new Error(`run ${runId}: ${run.status} → ${status} not allowed`);
      Object.assign(run, fields, { status, updatedAt: now.toISOString() });
      return { ...run };
    },
    recordNotification: unused('recordNotification'),
    putTarget: unused('putTarget'),
    getTarget: unused('getTarget'),
    listTargets: unused('listTargets'),
    setTargetStatus: unused('setTargetStatus'),
    recordDeployment: unused('recordDeployment'),
    listDeployments: unused('listDeployments'),
    getCurrent: unused('getCurrent'),
    findRunsBySha: unused('findRunsBySha'),
    acquireLock: unused('acquireLock'),
    getLock: unused('getLock'),
    releaseLock: unused('releaseLock'),
    leaveQueue: unused('leaveQueue'),
  };
}
