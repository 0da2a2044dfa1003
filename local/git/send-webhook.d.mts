export interface SendWebhookOptions {
  url: string;
  /** The webhook secret; without one the delivery is unsigned, as GitHub sends it. */
  secret?: string;
  /** `X-GitHub-Event`, e.g. `push`. */
  event: string;
  /** `X-GitHub-Delivery`; a new UUID by default. */
  deliveryId?: string;
  payload: unknown;
  /** Default 10 s, GitHub's own delivery timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SendWebhookResult {
  status: number;
  /** The answer parsed as JSON, else its text; undefined when empty. */
  body: unknown;
  deliveryId: string;
}

export declare function sendWebhook(options: SendWebhookOptions): Promise<SendWebhookResult>;
