import { itemRecord, pickFields } from './item-record.ts';
import type { ItemOps } from './item-ops.ts';
import { changeStatusVia, createItemVia, pickStatusFields } from './item-writes.ts';
import { repoRunKey, runIndexKeys, runKey } from './keys.ts';
import { storeCall } from './store-call.ts';
import type { RunRecord, RunStore } from './types.ts';

export const RUN_FIELDS: Record<keyof RunRecord, true> = {
  runId: true,
  repo: true,
  kind: true,
  ref: true,
  branch: true,
  sha: true,
  actor: true,
  deliveryId: true,
  executionArn: true,
  status: true,
  reason: true,
  pullRequest: true,
  commitMessage: true,
  notifications: true,
  slackMessages: true,
  createdAt: true,
  updatedAt: true,
  finishedAt: true,
  announceSkipped: true,
  drift: true,
  driftIssue: true,
};

/** Fields a status change may set besides the status (the rest of a record is fixed at creation). */
const RUN_STATUS_FIELDS: Record<keyof NonNullable<Parameters<RunStore['setRunStatus']>[2]>, true> = {
  reason: true,
  executionArn: true,
  announceSkipped: true,
  driftIssue: true,
};

/**
 * The run writes the webhook makes too (create, status change), over ItemOps, so the full store
 * (dynamo-runs.ts) and the webhook's light store write the same items.
 */
export function runWrites(ops: ItemOps, clock: () => Date): Pick<RunStore, 'createRun' | 'setRunStatus'> {
  return {
    createRun(run, now) {
      return storeCall(`createRun ${run.runId}`, async () => {
        const at = (now ?? clock()).toISOString();
        const record = {
          ...pickFields(run as RunRecord, RUN_FIELDS),
          status: run.status ?? 'queued',
          createdAt: at,
          updatedAt: at,
        } as RunRecord;
        // The run's place in its repository's list first: a plain put of fixed content, safe to repeat
        // when the conditional create below is retried. An entry whose run is missing is skipped by listRuns.
        await ops.put({
          Item: { ...repoRunKey(record), entity: 'repo-run', runId: record.runId, repo: record.repo, createdAt: at },
        });
        await createItemVia(
          ops,
          { ...runKey(record.runId), ...runIndexKeys(record), entity: 'run', ...record },
          `run ${record.runId}`,
        );
        return record;
      });
    },

    setRunStatus(runId, status, fields, now) {
      return storeCall(`setRunStatus ${runId} ${status}`, async () => {
        const item = await changeStatusVia(
          ops,
          runKey(runId),
          `run ${runId}`,
          status,
          pickStatusFields(fields, RUN_STATUS_FIELDS),
          now ?? clock(),
        );
        return itemRecord<RunRecord>(item);
      });
    },
  };
}
