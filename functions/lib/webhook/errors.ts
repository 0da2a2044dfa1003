import { PushgateError } from '../errors.ts';

/**
 * A delivery the intake answers with an error status. The message goes back to GitHub (it shows in
 * the hook's "Recent Deliveries"), so it never carries a secret or the payload.
 */
export class WebhookError extends PushgateError {
  readonly statusCode: number;
  constructor(statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

export class MethodNotAllowedError extends WebhookError {
  constructor(method: string) {
    super(405, `method ${method} not allowed; GitHub delivers with POST`);
  }
}

export class NotFoundError extends WebhookError {
  constructor(path: string) {
    super(404, `no webhook at ${path}`);
  }
}

export class PayloadTooLargeError extends WebhookError {
  constructor(bytes: number, limit: number) {
    super(413, `body of ${bytes} bytes is over the limit of ${limit} bytes`);
  }
}

/** A required GitHub header is missing or unusable. */
export class BadHeaderError extends WebhookError {
  constructor(message: string) {
    super(400, message);
  }
}

export class SignatureError extends WebhookError {
  constructor(message: string) {
    super(401, message);
  }
}

export class UnsupportedMediaTypeError extends WebhookError {
  constructor(contentType: string | undefined) {
    super(
      415,
      `content type ${contentType ? JSON.stringify(contentType.slice(0, 100)) : '(none)'} not supported; use application/json or application/x-www-form-urlencoded`,
    );
  }
}

/** The body is not the JSON payload of the event it claims to be. */
export class MalformedPayloadError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

export class RepoNotAllowedError extends WebhookError {
  constructor(repo: string) {
    super(403, `repository ${repo} is not in ALLOWED_REPOS`);
  }
}

/** The store or the workflow failed: nothing was started and the delivery can be redelivered. */
export class UnavailableError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, message, options);
  }
}

/** The intake is misconfigured (no webhook secret): an operator has to act. */
export class WebhookConfigError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(500, message, options);
  }
}
