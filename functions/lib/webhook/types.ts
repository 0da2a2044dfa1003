/**
 * One HTTP request as the intake sees it: plain data, no Lambda types, so the local API Gateway,
 * the Lambda handler and the tests all feed it the same way.
 */
export interface IntakeRequest {
  method: string;
  path: string;
  /** Any case; a repeated header may arrive comma-joined (as API Gateway v2 does). */
  headers: Record<string, string | undefined>;
  /** The body as API Gateway passes it: text, or base64 of the raw bytes when `isBase64Encoded`. */
  body: string;
  isBase64Encoded: boolean;
}

/** What happened to a delivery; the handler logs it on its one line per request. */
export type IntakeOutcome =
  | 'started'
  /** A comment command handed to the commands function. */
  | 'command'
  | 'duplicate'
  | 'ignored'
  | 'ping'
  | 'rejected'
  | 'unavailable'
  | 'error';

export interface IntakeResponse {
  statusCode: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  outcome: IntakeOutcome;
  deliveryId?: string;
  event?: string;
  runId?: string;
  /** Why the delivery was ignored or rejected, for the log line. */
  reason?: string;
}
