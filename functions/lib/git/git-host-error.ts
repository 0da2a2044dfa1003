import { PushgateError } from '../errors.ts';

/**
 * The Git host failed or refused (network, 5xx, rate limit, bad token). The workflow retries
 * Validate on this name; `status` is the HTTP status when there was a response.
 */
export class GitHostError extends PushgateError {
  readonly status: number | undefined;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}
