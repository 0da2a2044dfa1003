import { BadHeaderError } from './errors.ts';

export interface GitHubHeaders {
  /** `X-GitHub-Event`: push, pull_request, … */
  event: string;
  /** `X-GitHub-Delivery`: a GUID, the same on a redelivery; the key that makes intake exactly-once. */
  deliveryId: string;
}

const EVENT = /^[a-z_]{1,64}$/;
// GitHub sends GUIDs; the bound keeps the execution name (≤ 80 chars) able to hold it whole.
const DELIVERY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The headers every delivery carries.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 */
export function githubHeaders(headers: Record<string, string>): GitHubHeaders {
  const event = headers['x-github-event'];
  const deliveryId = headers['x-github-delivery'];
  if (!event) throw new BadHeaderError('missing X-GitHub-Event header');
  if (!deliveryId) throw new BadHeaderError('missing X-GitHub-Delivery header');
  if (!EVENT.test(event)) throw new BadHeaderError('X-GitHub-Event is not an event name');
  if (!DELIVERY.test(deliveryId)) throw new BadHeaderError('X-GitHub-Delivery is not a delivery id');
  return { event, deliveryId };
}
