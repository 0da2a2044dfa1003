import { AwsClient as SigV4Client } from 'aws4fetch';
import { AwsCallError } from './aws-call-error.ts';
import { AWS_SERVICES, serviceOf, type AwsAction } from './aws-services.ts';
import { errorCode, errorMessage } from './error-code.ts';
import { isRetryableAnswer } from './is-retryable.ts';
import { serviceEndpoint } from './service-endpoint.ts';
import { safeMessage } from './safe-message.ts';

/** One request of an API call: the path under the service's endpoint, and what it sends. */
export interface AwsRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A successful (2xx) answer: its status, headers and body text. */
export interface AwsAnswer {
  statusCode: number;
  headers: Headers;
  body: string;
}

/** Signs and sends one call with the function's credentials; a failure is an AwsCallError. */
export interface AwsClient {
  send(action: AwsAction, request: AwsRequest): Promise<AwsAnswer>;
}

export interface AwsClientOptions {
  /** Credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), AWS_REGION and endpoints; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Attempts per call (default 2): a second one only after throttling, a 5xx, a timeout or a network error. */
  maxAttempts?: number;
  /** Each attempt, connection included, is given up after this long (default 2 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * AWS calls over `fetch`, signed with Signature Version 4 by aws4fetch (WebCrypto), for a function
 * that must import fast (the webhook): the AWS SDK v3 clients it replaces are ~500 KB of its bundle.
 * Credentials are read from the environment at each call, as Lambda provides them; endpoints as
 * the SDK resolves them (service-endpoint.ts). fetch has no separate connect timeout: one
 * AbortSignal.timeout covers each attempt from connecting to the last byte of the answer.
 */
export function createAwsClient(options: AwsClientOptions = {}): AwsClient {
  const maxAttempts = options.maxAttempts ?? 2;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const send = options.fetch ?? ((input: Request, init?: RequestInit) => fetch(input, init));

  async function attempt(action: AwsAction, request: AwsRequest): Promise<AwsAnswer> {
    const env = options.env ?? process.env;
    const service = AWS_SERVICES[serviceOf(action)];
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!region || !accessKeyId || !secretAccessKey) {
      throw new AwsCallError(
        action,
        'ConfigurationError',
        'AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required',
      );
    }
    const signer = new SigV4Client({
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      service: service.signingName,
      region,
      retries: 0,
    });
    const url = `${serviceEndpoint(serviceOf(action), region, env)}${request.path ?? '/'}`;
    const signed = await signer.sign(url, {
      method: request.method ?? 'POST',
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    let response: Response;
    let body: string;
    try {
      response = await send(signed, { signal: AbortSignal.timeout(timeoutMs) });
      body = await response.text();
    } catch (error) {
      const code = (error as Error)?.name === 'TimeoutError' ? 'TimeoutError' : 'NetworkError';
      throw new AwsCallError(action, code, code === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : '', {
        cause: error,
      });
    }
    if (response.ok) return { statusCode: response.status, headers: response.headers, body };
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(body);
      if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's page): the status says what there is to say.
    }
    const code = errorCode(response.headers.get('x-amzn-errortype'), parsed) ?? `Http${response.status}`;
    throw new AwsCallError(action, code, safeMessage(code, errorMessage(parsed)), { statusCode: response.status });
  }

  return {
    async send(action, request) {
      for (let attemptNumber = 1; ; attemptNumber++) {
        try {
          return await attempt(action, request);
        } catch (error) {
          if (!(error instanceof AwsCallError) || attemptNumber >= maxAttempts || !isRetryable(error)) throw error;
          // A short jittered pause, as the SDK's standard retry strategy (base 100 ms).
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
        }
      }
    },
  };
}

function isRetryable(error: AwsCallError): boolean {
  if (error.code === 'TimeoutError' || error.code === 'NetworkError') return true;
  return error.statusCode !== undefined && isRetryableAnswer(error.statusCode, error.code);
}
