import type { TaskResumer } from '../approval/types.ts';
import { targetKeyOf } from '../store/target-key.ts';
import type { LockStore } from '../store/types.ts';
import type { WaitForLockInput, WaitForLockOutput } from '../workflow/contract.ts';
import type { HandOver } from './hand-over.ts';

/** A parked ticket outlives its WaitForLock's timeout by this much, so the timeout, not the ticket, ends the wait. */
const TICKET_MARGIN_SECONDS = 60;
const DEFAULT_WAIT_SECONDS = 60 * 60;

export interface WaitForLockDeps {
  store: Pick<LockStore, 'parkTicket'>;
  handOver: HandOver;
  tasks: Pick<TaskResumer, 'succeed'>;
  now?: () => Date;
}

/**
 * The `WaitForLock` state's Lambda (lambda:invoke.waitForTaskToken): parks this run's queue ticket on
 * the task token, then checks again by handing the lock over itself, since the holder may have
 * released it between AcquireLock and now (when nobody was parked to be handed it). Whoever the lock
 * goes to is resumed; this run waits, at no cost, until a release hands it over or the wait left of
 * `lockWaitMinutes` runs out (TimeoutSecondsPath: States.Timeout, which TargetFailed records).
 * A ticket that is gone (the run left the queue) resumes at once: AcquireLock asks anew.
 */
export async function waitForLock(input: WaitForLockInput, deps: WaitForLockDeps): Promise<WaitForLockOutput> {
  const now = deps.now?.() ?? new Date();
  const { run, settings, target } = input;
  const key = targetKeyOf(run, target);
  const waitSeconds = input.lock.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  const waitUntil = new Date(now.getTime() + (waitSeconds + TICKET_MARGIN_SECONDS) * 1000);
  const parked = await deps.store.parkTicket(
    key,
    { owner: run.runId, position: settings.queuePosition },
    input.taskToken,
    waitUntil,
    now,
  );
  if (!parked) {
    await deps.tasks.succeed(input.taskToken, { handedOver: false });
    return { parked: false };
  }
  const handed = await deps.handOver(key);
  return { parked: true, ...(handed.handedTo === undefined ? {} : { handedTo: handed.handedTo }) };
}
