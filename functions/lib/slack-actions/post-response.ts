/** Slack's response URLs all live here. https://docs.slack.dev/interactivity/handling-user-interaction#message_responses */
export const SLACK_RESPONSE_ORIGIN = 'https://hooks.slack.com';

/** How long a POST to a response_url may take before it is given up (logged, the press still answered). */
export const RESPONSE_URL_TIMEOUT_MS = 5_000;

export interface ResponseUrlDeps {
  /** Origins besides https://hooks.slack.com a response_url may point at (the local Slack's). */
  allowedOrigins?: readonly string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** What became of the reply, for the log line. */
export type ResponseUrlReply =
  | { status: 'posted'; origin: string }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; origin: string; error: unknown };

/** The origin of `url` (e.g. env SLACK_API_URL), or undefined when it is not an http(s) URL. */
export function originOf(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POSTs `message` to an interaction's response_url, which is how a block_actions press is answered
 * (Slack ignores a message in the HTTP response body). The URL comes from the (signed) payload, but is
 * only fetched when its origin is https://hooks.slack.com or one of `allowedOrigins`, and redirects are
 * not followed: pushgate never becomes a proxy to other hosts. Never throws: a failure is returned.
 */
export async function postToResponseUrl(
  responseUrl: string,
  message: Record<string, unknown>,
  deps: ResponseUrlDeps = {},
): Promise<ResponseUrlReply> {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return { status: 'skipped', reason: 'response_url is not a URL' };
  }
  const allowed = new Set([SLACK_RESPONSE_ORIGIN, ...(deps.allowedOrigins ?? [])]);
  if (!allowed.has(url.origin) || url.username !== '' || url.password !== '') {
    return { status: 'skipped', reason: `response_url origin ${url.origin} is not allowed` };
  }
  const doFetch = deps.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      redirect: 'error',
      signal: AbortSignal.timeout(deps.timeoutMs ?? RESPONSE_URL_TIMEOUT_MS),
    });
    // Slack's answer is short (`ok` or a JSON error); read it so the connection is released.
    const answer = (await response.text()).slice(0, 200);
    if (!response.ok) {
      return { status: 'failed', origin: url.origin, error: new Error(`HTTP ${response.status}: ${answer}`) };
    }
    return { status: 'posted', origin: url.origin };
  } catch (error) {
    return { status: 'failed', origin: url.origin, error };
  }
}
