import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Callback, ClientContext, Context } from 'aws-lambda';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import { AUTH_FAILURE_STATUS, jsonErrorCode, readVerifiedRequest, type AuthFailure } from '../aws/verify-request.ts';
import { listenOnLoopback, sendJson } from '../http/loopback-server.ts';
import { createLambdaContext, LOCAL_ACCOUNT_ID } from './create-lambda-context.ts';
import { toFunctionError, type FunctionErrorPayload } from './to-function-error.ts';

/**
 * A handler as the Node.js runtime calls it; typed like `Handler` from aws-lambda so exported
 * handlers register as they are. It must return a promise: the callback it gets only throws.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler parses its own event
export type LocalLambdaHandler = (event: any, context: Context, callback: Callback) => void | Promise<unknown>;

/** The part of Powertools' Logger the stand-ins use, so tests can pass their own. */
export interface LocalLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface StartLambdaOptions {
  /** Function name → handler. Callers may address a function by name, partial ARN or ARN. */
  handlers: Record<string, LocalLambdaHandler>;
  /** The only credentials whose requests are answered (the local stack's): Invoke runs handlers. */
  credentials: LocalCredentials;
  port?: number;
  region?: string;
  accountId?: string;
  /** Per-function timeout in seconds (what `timeout:` in serverless.yml says); default `defaultTimeoutSeconds`. */
  timeoutSeconds?: Record<string, number>;
  /** Default 60. A handler still running at its deadline ends in `Sandbox.Timedout`, as on Lambda. */
  defaultTimeoutSeconds?: number;
  logger?: LocalLogger;
}

export interface InvocationRecord {
  functionName: string;
  invocationType: 'RequestResponse' | 'Event';
  requestId: string;
  event: unknown;
  /** Set once the handler settled. */
  outcome?: { ok: true; result: unknown } | { ok: false; error: FunctionErrorPayload };
}

export interface LocalLambda {
  url: string;
  /** What the stack sets so the AWS SDK (and Step Functions' Lambda tasks) reach this endpoint. */
  env: { AWS_ENDPOINT_URL_LAMBDA: string };
  /** Every invocation, oldest first. */
  invocations: InvocationRecord[];
  register(functionName: string, handler: LocalLambdaHandler): void;
  /** Resolves when every `Event` (asynchronous) invocation started so far has settled. */
  drain(): Promise<void>;
  /** Waits for background invocations (bounded by their timeouts), then closes every socket. */
  stop(): Promise<void>;
}

// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
/** Invoke's payload quotas: 6 MB synchronous, 1 MB asynchronous. https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 1024 * 1024;

/**
 * The Lambda Invoke REST API on 127.0.0.1, calling handlers in this process. Errors follow the real
 * service: a handler error is a 200 with `X-Amz-Function-Error: Unhandled` (the SDK returns it in
 * `FunctionError`; Step Functions raises it under the error's name), an unknown function a 404
 * `ResourceNotFoundException`. Only requests addressed to a loopback host and signed with
 * `credentials` are answered; others get Lambda's 403 (see verify-request.ts) and run nothing.
 */
export async function startLambda(options: StartLambdaOptions): Promise<LocalLambda> {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const handlers = new Map(Object.entries(options.handlers));
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-lambda' });
  const invocations: InvocationRecord[] = [];
  const background = new Set<Promise<unknown>>();

  const timeoutMsOf = (name: string) => (options.timeoutSeconds?.[name] ?? options.defaultTimeoutSeconds ?? 60) * 1000;

  async function run(
    record: InvocationRecord,
    clientContext: ClientContext | undefined,
  ): Promise<InvocationRecord['outcome'] & object> {
    const handler = handlers.get(record.functionName)!;
    const timeoutMs = timeoutMsOf(record.functionName);
    const context = createLambdaContext({
      functionName: record.functionName,
      awsRequestId: record.requestId,
      timeoutMs,
      region,
      accountId,
      clientContext,
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LambdaTimeoutError(record.requestId, timeoutMs)), timeoutMs);
    });
    try {
      const result = await Promise.race([
        Promise.resolve().then(() => handler(record.event, context, noCallback)),
        timedOut,
      ]);
      // The runtime serialises the result; what cannot be serialised is the function's error.
      const serialised = JSON.stringify(result) ?? 'null';
      record.outcome = { ok: true, result: JSON.parse(serialised) };
    } catch (error) {
      record.outcome = { ok: false, error: toFunctionError(error) };
    } finally {
      clearTimeout(timer);
    }
    return record.outcome;
  }

  const auth = { credentials: options.credentials, signingName: 'lambda', service: 'Lambda' };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const headers = { 'x-amzn-requestid': requestId };
    const refuse = (failure: AuthFailure) =>
      sendAwsError(res, AUTH_FAILURE_STATUS, jsonErrorCode(failure), failure.message, headers);
    // The signature covers the body, so it is read (up to the synchronous quota) before anything else.
    const verified = await readVerifiedRequest(req, auth, MAX_SYNC_PAYLOAD);
    if ('tooLarge' in verified) {
      tooLarge(res, MAX_SYNC_PAYLOAD, headers);
      return;
    }
    if ('refused' in verified) {
      refuse(verified.refused);
      return;
    }
    const { body } = verified;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      sendJson(res, 404, { message: null }, { ...headers, 'x-amzn-errortype': 'UnknownOperationException' });
      return;
    }
    const { name, qualifier } = parseFunctionName(decodeURIComponent(match[1]!));
    const invocationType = headerOf(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!handlers.has(name)) {
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
      sendAwsError(res, 404, 'ResourceNotFoundException', `Function not found: ${arn}`, headers);
      return;
    }
    if (invocationType !== 'RequestResponse' && invocationType !== 'Event' && invocationType !== 'DryRun') {
      sendAwsError(
        res,
        400,
        'InvalidParameterValueException',
        `Unsupported InvocationType: ${invocationType}`,
        headers,
      );
      return;
    }
    if (invocationType === 'Event' && body.length > MAX_ASYNC_PAYLOAD) {
      tooLarge(res, MAX_ASYNC_PAYLOAD, headers);
      return;
    }
    if (invocationType === 'DryRun') {
      res.writeHead(204, headers).end();
      return;
    }
    let event: unknown;
    try {
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (error) {
      sendAwsError(
        res,
        400,
        'InvalidRequestContentException',
        `Could not parse request body into json: ${(error as Error).message}`,
        headers,
      );
      return;
    }
    const record: InvocationRecord = { functionName: name, invocationType: invocationType, requestId, event };
    invocations.push(record);
    const clientContext = parseClientContext(headerOf(req, 'x-amz-client-context'));

    if (invocationType === 'Event') {
      const pending = run(record, clientContext).then((outcome) => {
        // Lambda retries and then drops a failed asynchronous event; here the failure is at least on the log.
        if (!outcome.ok)
          logger.error('asynchronous invocation failed', { functionName: name, requestId, ...outcome.error });
      });
      background.add(pending);
      void pending.finally(() => background.delete(pending));
      res.writeHead(202, { ...headers, 'content-length': 0 }).end();
      return;
    }

    const outcome = await run(record, clientContext);
    const responseHeaders: Record<string, string> = { ...headers, 'x-amz-executed-version': '$LATEST' };
    if (headerOf(req, 'x-amz-log-type') === 'Tail') {
      const log = `START RequestId: ${requestId} Version: $LATEST\nEND RequestId: ${requestId}\n`;
      responseHeaders['x-amz-log-result'] = Buffer.from(log).toString('base64');
    }
    if (outcome.ok) {
      sendJson(res, 200, outcome.result, responseHeaders);
    } else {
      sendJson(res, 200, outcome.error, { ...responseHeaders, 'x-amz-function-error': 'Unhandled' });
    }
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local lambda endpoint failed', { error: String(error) });
      if (!res.headersSent) sendAwsError(res, 500, 'ServiceException', 'local Lambda endpoint failed');
      else res.destroy();
    });
  }, options.port);

  const drain = async () => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };

  return {
    url: server.url,
    env: { AWS_ENDPOINT_URL_LAMBDA: server.url },
    invocations,
    register: (functionName, handler) => void handlers.set(functionName, handler),
    drain,
    stop: async () => {
      await server.stop();
      await drain();
    },
  };
}

/** pushgate's handlers are async; a callback-style handler is a mistake worth failing loudly on. */
export const noCallback: Callback = () => {
  throw new Error('callback-style handlers are not supported here: return a promise');
};

/** What the Node.js runtime reports when a handler outlives its timeout. */
class LambdaTimeoutError extends Error {
  constructor(requestId: string, timeoutMs: number) {
    super(`RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** `name`, `name:qualifier`, `123456789012:function:name[:qualifier]` or a full function ARN. */
export function parseFunctionName(value: string): { name: string; qualifier?: string } {
  const afterFunction = value.includes(':function:')
    ? value.slice(value.indexOf(':function:') + ':function:'.length)
    : value;
  const [name = '', qualifier] = afterFunction.split(':');
  return qualifier === undefined ? { name } : { name, qualifier };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseClientContext(header: string | undefined): ClientContext | undefined {
  if (!header) return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientContext;
  } catch {
    return undefined;
  }
}

function tooLarge(res: ServerResponse, limit: number, headers: Record<string, string>): void {
  sendAwsError(
    res,
    413,
    'RequestTooLargeException',
    `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
    { ...headers, connection: 'close' },
  );
}

/** AWS's REST-JSON error: the type in `x-amzn-ErrorType`, the text in `message`. */
function sendAwsError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { Type: 'User', message }, { ...headers, 'x-amzn-errortype': type });
}
