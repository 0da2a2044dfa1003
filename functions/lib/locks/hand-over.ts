import type { TaskResumer } from '../approval/types.ts';
import { PushgateError } from '../errors.ts';
import type { LockQueue, LockStore, LockTicket, TargetKey } from '../store/types.ts';

/** The store slice the handoff uses: one read of the queue, then single-item conditional writes. */
export type HandOverStore = Pick<
  LockStore,
  'lockQueue' | 'reserveLock' | 'cancelReservation' | 'ticketResumed' | 'dropTicket'
>;

export interface HandOverDeps {
  store: HandOverStore;
  /** SendTaskSuccess / SendTaskFailure (runtime/clients/sfn-task-resumer.ts). */
  tasks: TaskResumer;
  now?: () => Date;
  /** How long a handed-over lock waits for its run's AcquireLock (which extends it to the full lease). */
  reservationSeconds?: number;
}

/** What one handoff did. */
export interface HandOverResult {
  /** The run the lock was handed to (reserved for it, and its WaitForLock resumed). */
  handedTo?: string;
  /** Parked runs failed with SupersededError (a newer run waits or held the lock). */
  superseded: string[];
  /** Parked runs whose token no longer resumed anything (stopped, timed out): their tickets are gone. */
  dropped: string[];
  /** Why nobody was handed the lock: it is held, nobody waits, or the next in line has not parked yet. */
  idle?: 'held' | 'empty' | 'next-not-parked';
}

/** Hands a released lock over: what every path that releases a lock calls afterwards. */
export type HandOver = (key: TargetKey) => Promise<HandOverResult>;

/** The handoff kept losing races for longer than it should (a bug or a storm): the sweep tries again. */
export class HandOverError extends PushgateError {}

export const DEFAULT_RESERVATION_SECONDS = 300;
/** SendTaskFailure's error for a parked run that a newer one supersedes: the workflow's SupersededError. */
const SUPERSEDED_ERROR = 'SupersededError';
/** Every pass removes a ticket or finds the lock taken: more passes than this is not a queue any more. */
const MAX_PASSES = 100;

/**
 * Hands a lock over to the next run in its queue and resumes that run's WaitForLock at once.
 *
 * 1. One consistent read of the lock and its live tickets (lockQueue).
 * 2. Parked runs that can never deploy here are failed with SupersededError (SendTaskFailure) and
 *    leave the queue: those older than the newest run that held the lock (an older commit is never
 *    applied over a newer one), and in `supersede` mode every run with a newer one behind it.
 *    Runs not parked yet are left alone: they find out themselves, at AcquireLock or WaitForLock.
 * 3. A lock that is held (lease running) stays with its holder. Otherwise the first live ticket in
 *    queue order is next; if it has not parked yet, it is on its way to take the lock itself.
 * 4. The lock is reserved for it (a conditional write: free or expired, never older than the newest
 *    holder), so no two runs are ever handed one lock; then SendTaskSuccess resumes it, and its
 *    AcquireLock takes the reservation. A token that is gone (TaskTimedOut, TaskDoesNotExist,
 *    InvalidToken: the waiter was stopped or timed out) drops that ticket, undoes the reservation and
 *    tries the next.
 *
 * Safe to repeat and to run concurrently: a second handoff finds the lock reserved (held) and stops.
 * An error other than a gone token is thrown with the reservation in place; it lapses after
 * `reservationSeconds` and the lock sweep hands the lock over again.
 */
export async function handOver(key: TargetKey, deps: HandOverDeps): Promise<HandOverResult> {
  const { store, tasks } = deps;
  const result: HandOverResult = { superseded: [], dropped: [] };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const now = deps.now?.() ?? new Date();
    const queue = await store.lockQueue(key, now);
    const doomed = supersededTickets(queue);
    for (const { ticket, by } of doomed) {
      if (ticket.taskToken === undefined) continue;
      const cause = `a newer run (${by}) for ${key.project}/${key.environment} is waiting or has held the lock`;
      // In the shape of a Lambda error's cause, so TargetFailed reads the sentence as it reads AcquireLock's.
      await resumeOrGone(() =>
        tasks.fail(
          ticket.taskToken!,
          SUPERSEDED_ERROR,
          JSON.stringify({ errorType: SUPERSEDED_ERROR, errorMessage: cause }),
        ),
      );
      await store.dropTicket(key, { ...ticket, taskToken: ticket.taskToken });
      result.superseded.push(ticket.owner);
    }
    if (queue.holder !== undefined && !queue.holder.expired) return { ...result, idle: 'held' };
    const doomedOwners = new Set(doomed.map(({ ticket }) => ticket.owner));
    const next = queue.tickets.find((ticket) => !doomedOwners.has(ticket.owner));
    if (next === undefined) return { ...result, idle: 'empty' };
    if (next.taskToken === undefined) return { ...result, idle: 'next-not-parked' };
    const tookOverFrom = queue.holder?.expired && queue.holder.owner !== next.owner ? queue.holder.owner : undefined;
    const reserved = await store.reserveLock(
      key,
      next,
      {
        reservationSeconds: deps.reservationSeconds ?? DEFAULT_RESERVATION_SECONDS,
        ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
      },
      now,
    );
    if (!reserved) continue; // Someone took it or reserved it since the read: look again.
    const token = next.taskToken;
    const resumed = await resumeOrGone(() => tasks.succeed(token, { handedOver: true, owner: next.owner }));
    if (resumed) {
      await store.ticketResumed(key, { ...next, taskToken: token }, now);
      return { ...result, handedTo: next.owner };
    }
    await store.dropTicket(key, { ...next, taskToken: token });
    await store.cancelReservation(key, next.owner);
    result.dropped.push(next.owner);
  }
  throw new HandOverError(
    `the queue of ${key.repo} ${key.project}/${key.environment} kept changing during ${MAX_PASSES} handoff attempts`,
  );
}

/**
 * The tickets that can never take the lock, with the run that supersedes each: older than the newest
 * position that held it (held now, even on an expired lease, or released), or, for a run in
 * `supersede` mode, older than another live ticket. The same rules as acquireLock's.
 */
export function supersededTickets(queue: LockQueue): { ticket: LockTicket; by: string }[] {
  const holder = queue.holder;
  const newestHeld = holder?.position ?? queue.lastPosition;
  const newestHeldBy = holder?.owner ?? queue.lastOwner ?? 'a newer run';
  const newestTicket = queue.tickets.at(-1);
  const doomed: { ticket: LockTicket; by: string }[] = [];
  for (const ticket of queue.tickets) {
    if (holder?.owner === ticket.owner) continue;
    if (newestHeld !== undefined && newestHeld > ticket.position) {
      doomed.push({ ticket, by: newestHeldBy });
    } else if (ticket.mode === 'supersede' && newestTicket !== undefined && newestTicket.position > ticket.position) {
      doomed.push({ ticket, by: newestTicket.owner });
    }
  }
  return doomed;
}

/** SendTask*: true when it reached a waiting task, false when the token is gone; other errors are thrown. */
async function resumeOrGone(send: () => ReturnType<TaskResumer['succeed']>): Promise<boolean> {
  try {
    const answer = await send();
    return answer.resumed;
  } catch (error) {
    // createSfnTaskResumer answers TaskTimedOut and TaskDoesNotExist as expired; InvalidToken (a token
    // this state machine never issued, or a wait ended long ago) means the same here.
    if (tokenGone(error)) return false;
    throw error;
  }
}

const GONE = new Set(['InvalidToken', 'TaskTimedOut', 'TaskDoesNotExist']);

function tokenGone(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (GONE.has(current.name)) return true;
  }
  return false;
}
