/**
 * GitHub `push` payloads from a local bare repository. The builder is plain JavaScript so the
 * post-receive hook (local/git/post-receive.mjs) runs the very same code with bare `node`.
 */
export { buildPushPayload, ZERO_SHA } from './build-push-payload.mjs';
export type { PushCommit, PushPayload, PushPayloadOptions, PushRepository, PushUser } from './build-push-payload.mjs';
