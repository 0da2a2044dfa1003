import { createHash } from 'node:crypto';

/**
 * The signed header that binds an identity proof to one request. The CLI presigns its
 * GetCallerIdentity URL with this header in `X-Amz-SignedHeaders`; the function sends the URL to STS
 * with the header's value computed from the request it received. STS checks the signature over that
 * header, so a proof made for one request (`pushgate approve` of one run) cannot be replayed for another
 * (`pushgate rollback`, another run, another decision): the same idea as Vault's
 * `X-Vault-AWS-IAM-Server-ID`.
 */
export const CALLER_INTENT_HEADER = 'x-pushgate-intent';

/** The request's fields in a fixed order (keys sorted, absent fields left out), without the proof. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, field]) => field !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, field]) => [key, canonical(field)]),
    );
  }
  return value;
}

/**
 * `<purpose>:<sha256 of the request's canonical JSON>`: what the proof is for. Both sides compute it
 * from the same fields (every field of the invocation but `identity`), so it stays short enough for a
 * header whatever the request holds.
 */
export function callerIntent(purpose: 'approve' | 'rollback', request: Record<string, unknown>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('hex');
  return `pushgate-${purpose}:${digest}`;
}
