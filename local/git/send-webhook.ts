/**
 * Webhook deliveries signed like GitHub's. Plain JavaScript underneath so the post-receive hook
 * (local/git/post-receive.mjs) sends with the very same code.
 */
export { sendWebhook } from './send-webhook.mjs';
export type { SendWebhookOptions, SendWebhookResult } from './send-webhook.mjs';
