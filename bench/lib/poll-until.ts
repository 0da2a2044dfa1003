import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError } from './bench-error.ts';

export interface PollOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  /** Also the resolution of a time measured by polling: keep it small beside what is measured. */
  intervalMs?: number;
}

/** Reads until `done` accepts what was read; BenchError after the timeout. */
export async function pollUntil<T>(
  read: () => Promise<T | undefined>,
  done: (value: T) => boolean,
  options: PollOptions,
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await read();
    if (value !== undefined && done(value)) return value;
    if (performance.now() > deadline) {
      throw new BenchError(`gave up waiting for ${options.what}; last seen: ${JSON.stringify(value)}`);
    }
    await sleep(options.intervalMs ?? 20);
  }
}
