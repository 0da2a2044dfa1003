import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { BuildQueueFullError, LocalCodeBuildConfigError } from './errors.ts';

/** A build's place in the queue: `admitted` resolves when it may run; `leave` frees the place or the slot. */
export interface BuildTicket {
  readonly admitted: Promise<void>;
  /** Gives the slot back (a running build) or leaves the queue (a queued one); idempotent. */
  leave(): void;
}

/** What PUSHGATE_LOCAL_BUILD_CONCURRENCY may hold: a whole number of builds, at least 1. */
const Concurrency = z.coerce.number().int().min(1);

/**
 * How many builds run at once: the option, else PUSHGATE_LOCAL_BUILD_CONCURRENCY, else the machine's
 * parallelism (at least 2, so a plan and an apply can overlap on a 1-core machine).
 */
export function buildConcurrency(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = option ?? env.PUSHGATE_LOCAL_BUILD_CONCURRENCY;
  if (raw === undefined || raw === '') return Math.max(2, availableParallelism());
  const parsed = Concurrency.safeParse(raw);
  if (!parsed.success) {
    throw new LocalCodeBuildConfigError(
      `the local build concurrency must be a whole number of at least 1, not ${JSON.stringify(raw)}` +
        (option === undefined ? ' (PUSHGATE_LOCAL_BUILD_CONCURRENCY)' : ''),
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/** What PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT may hold: a whole number of queued builds, 0 for none. */
const QueueLimit = z.coerce.number().int().min(0);

/** CodeBuild: "The maximum number of builds in a queue is five times the concurrent build limit." */
export const QUEUED_BUILDS_PER_CONCURRENT_BUILD = 5;

/**
 * How many builds may wait in QUEUED at once: the option, else PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT, else
 * five times `concurrency`, as CodeBuild documents its queue. A StartBuild beyond it is refused with
 * AccountLimitExceededException. https://docs.aws.amazon.com/codebuild/latest/userguide/builds-working.html
 */
export function buildQueueLimit(
  option: number | undefined,
  concurrency: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = option ?? env.PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT;
  if (raw === undefined || raw === '') return QUEUED_BUILDS_PER_CONCURRENT_BUILD * concurrency;
  const parsed = QueueLimit.safeParse(raw);
  if (!parsed.success) {
    throw new LocalCodeBuildConfigError(
      `the local build queue limit must be a whole number of at least 0, not ${JSON.stringify(raw)}` +
        (option === undefined ? ' (PUSHGATE_LOCAL_BUILD_QUEUE_LIMIT)' : ''),
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * How many builds the local CodeBuild takes at once without refusing any: those it runs and those it
 * queues (what a run's `parallelism` should stay within on this machine).
 */
export function localBuildCapacity(env: NodeJS.ProcessEnv = process.env): number {
  const concurrency = buildConcurrency(undefined, env);
  return concurrency + buildQueueLimit(undefined, concurrency, env);
}

/**
 * CodeBuild's queue on this machine: at most `limit` builds run; the others wait, first in, first out,
 * as builds beyond an account's concurrent build quota wait in the QUEUED phase.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/limits.html
 */
export class BuildQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param limit builds that run at once
   * @param queueLimit builds that may wait; `enter` refuses one more (Infinity: no ceiling)
   */
  constructor(
    readonly limit: number,
    readonly queueLimit: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Whether a build entering now would have to wait although the queue is full: CodeBuild refuses its StartBuild. */
  get full(): boolean {
    return !this.admitsNow() && this.waiting.length >= this.queueLimit;
  }

  /** Builds running now. */
  get active(): number {
    return this.running;
  }

  /** Builds waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** A place for one build; throws BuildQueueFullError when it would wait in a full queue (check `full` first). */
  enter(): BuildTicket {
    if (this.full) throw new BuildQueueFullError(this.queueLimit);
    let state: 'waiting' | 'running' | 'left' = 'waiting';
    let resolve!: () => void;
    const admitted = new Promise<void>((done) => (resolve = done));
    const admit = () => {
      state = 'running';
      this.running += 1;
      resolve();
    };
    if (this.admitsNow()) admit();
    else this.waiting.push(admit);
    return {
      admitted,
      leave: () => {
        if (state === 'left') return;
        if (state === 'running') {
          this.running -= 1;
          this.next();
        } else {
          const index = this.waiting.indexOf(admit);
          if (index >= 0) this.waiting.splice(index, 1);
        }
        state = 'left';
      },
    };
  }

  private admitsNow(): boolean {
    return this.running < this.limit && this.waiting.length === 0;
  }

  private next(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!();
  }
}
