import type { RunOutcome } from '../workflow/contract.ts';

/** One way of telling people how a run ended (Slack now; GitHub statuses and comments later). */
export interface Notifier {
  /** The name its result is recorded under on the run (`notifications.<channel>`). */
  readonly channel: string;
  /** Throws when the message did not get through; a NotifyError with `retryable: false` is not retried. */
  notify(outcome: RunOutcome): Promise<void>;
}
