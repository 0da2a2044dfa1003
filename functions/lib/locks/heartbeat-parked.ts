import { eachLimited } from '../each-limited.ts';
import type { LockStore, ParkedTicket, TargetKey } from '../store/types.ts';

/**
 * SendTaskHeartbeat for a parked run's WaitForLock token (runtime/clients/sfn-task-heartbeat.ts).
 * `alive: false` when Step Functions says the wait is over (TaskTimedOut, TaskDoesNotExist,
 * InvalidToken); anything else (throttled, unreachable) is thrown.
 */
export interface TaskHeartbeat {
  heartbeat(taskToken: string): Promise<TaskHeartbeatResult>;
}
export type TaskHeartbeatResult = { alive: true } | { alive: false; answer: string };

export interface HeartbeatParkedDeps {
  store: Pick<LockStore, 'listParkedTickets' | 'dropTicket'>;
  heartbeats: TaskHeartbeat;
  /** Heartbeats in flight at once (a sweep has a minute for hundreds of parked runs). */
  concurrency?: number;
}

/** What one round of heartbeats did. */
export interface HeartbeatParkedResult {
  /** Tokens whose wait was kept alive. */
  beaten: number;
  /** Runs whose token Step Functions no longer knew: their tickets are dropped. */
  dead: string[];
  /** Heartbeats that failed otherwise (named, never the token): the next sweep tries again. */
  failed: { key: TargetKey; owner: string; error: string }[];
}

const DEFAULT_CONCURRENCY = 16;

/**
 * Keeps every parked run's WaitForLock alive: WaitForLock has HeartbeatSeconds, so a run whose
 * ticket is no longer parked in the table (its handoff's SendTaskSuccess was lost after the ticket
 * was marked resumed, or the ticket was dropped) gets no heartbeat, times out with
 * States.HeartbeatTimeout and goes back to AcquireLock, where it finds its place (or its
 * reservation) again. The table, not the execution, decides who is waiting: a lost handoff costs at
 * most one heartbeat period, and no execution waits for a ticket that is gone.
 *
 * A token Step Functions answers TaskTimedOut, TaskDoesNotExist or InvalidToken for belongs to a
 * run that is not waiting any more (stopped, timed out): its ticket is dropped, as handOver drops a
 * ticket whose resume finds the token gone, unless the run parked again since (on another token).
 */
export async function heartbeatParked(deps: HeartbeatParkedDeps): Promise<HeartbeatParkedResult> {
  const result: HeartbeatParkedResult = { beaten: 0, dead: [], failed: [] };
  const tickets = await deps.store.listParkedTickets();
  await eachLimited(tickets, deps.concurrency ?? DEFAULT_CONCURRENCY, async (ticket: ParkedTicket) => {
    try {
      const answer = await deps.heartbeats.heartbeat(ticket.taskToken);
      if (answer.alive) {
        result.beaten++;
        return;
      }
      await deps.store.dropTicket(ticket.key, ticket);
      result.dead.push(ticket.owner);
    } catch (error) {
      result.failed.push({
        key: ticket.key,
        owner: ticket.owner,
        error: error instanceof Error ? error.name : 'unknown error',
      });
    }
  });
  return result;
}
