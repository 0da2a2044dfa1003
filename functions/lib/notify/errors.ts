import { PushgateError } from '../errors.ts';

/**
 * A notification that did not get through. `retryable: false` when sending again cannot help (the
 * webhook was revoked, the message was refused), so notifyRun stops instead of waiting.
 */
export class NotifyError extends PushgateError {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}
