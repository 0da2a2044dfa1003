// Plain JavaScript (types in send-webhook.d.mts, re-exported by send-webhook.ts) because the
// post-receive hook runs it with bare `node`.
import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';

/**
 * Delivers one webhook the way GitHub does: the JSON body signed with HMAC-SHA256 over its exact
 * bytes, and GitHub's delivery headers.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 */
export async function sendWebhook(options) {
  const deliveryId = options.deliveryId ?? randomUUID();
  const body = JSON.stringify(options.payload);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/pushgate-local',
    'x-github-event': options.event,
    'x-github-delivery': deliveryId,
    'x-github-hook-id': '0',
    'x-github-hook-installation-target-type': 'repository',
  };
  const repositoryId = options.payload?.repository?.id;
  if (repositoryId !== undefined) headers['x-github-hook-installation-target-id'] = String(repositoryId);
  if (options.secret) headers['x-hub-signature-256'] = await sign(options.secret, body);

  const response = await fetch(options.url, {
    method: 'POST',
    headers,
    body,
    signal: options.signal ?? AbortSignal.timeout(options.timeoutMs ?? 10_000),
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body: parsed, deliveryId };
}
