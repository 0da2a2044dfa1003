import type { TaskResumer } from '../approval/types.ts';
import { createSfnTaskResumer } from '../runtime/clients/sfn-task-resumer.ts';
import { functionLogger } from '../runtime/logger.ts';
import { runtimeStore } from '../runtime/store.ts';
import { handOver, type HandOver, type HandOverResult, type HandOverStore } from './hand-over.ts';

let tasks: TaskResumer | undefined;

/** The handoff with the runtime store and Step Functions client, built on first use. Throws what handOver throws. */
export function runtimeHandOver(store: HandOverStore = runtimeStore()): HandOver {
  tasks ??= createSfnTaskResumer();
  const resumer = tasks;
  return (key) => handOver(key, { store, tasks: resumer });
}

/**
 * The handoff as the paths that release a lock call it: it never fails the release. A handoff that
 * throws (Step Functions unreachable, throttled) is logged, and the lock sweep repeats it within a
 * minute (the reservation it may have left lapses first).
 */
export function quietHandOver(functionName: string, inner: HandOver = runtimeHandOver()): HandOver {
  return async (key) => {
    try {
      return await inner(key);
    } catch (error) {
      functionLogger(functionName).warn('lock handoff failed; the lock sweep repeats it', {
        lock: `${key.repo} ${key.project}/${key.environment}`,
        error: error instanceof Error ? error.name : 'unknown error',
        message: error instanceof Error ? error.message : undefined,
      });
      return { superseded: [], dropped: [] } satisfies HandOverResult;
    }
  };
}
