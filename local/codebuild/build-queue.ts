import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { LocalCodeBuildConfigError } from './errors.ts';

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

/**
 * CodeBuild's queue on this machine: at most `limit` builds run; the others wait, first in, first out,
 * as builds beyond an account's concurrent build quota wait in the QUEUED phase.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/limits.html
 */
export class BuildQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Builds running now. */
  get active(): number {
    return this.running;
  }

  /** Builds waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  enter(): BuildTicket {
    let state: 'waiting' | 'running' | 'left' = 'waiting';
    let resolve!: () => void;
    const admitted = new Promise<void>((done) => (resolve = done));
    const admit = () => {
      state = 'running';
      this.running += 1;
      resolve();
    };
    if (this.running < this.limit && this.waiting.length === 0) admit();
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

  private next(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!();
  }
}
