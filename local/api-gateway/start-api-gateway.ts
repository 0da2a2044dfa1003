import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Callback, Context } from 'aws-lambda';
import { createLambdaContext, LOCAL_ACCOUNT_ID } from '../lambda/create-lambda-context.ts';
import { noCallback, type LocalLogger } from '../lambda/start-lambda.ts';
import { checkHost } from '../aws/verify-request.ts';
import { BodyTooLargeError, listenOnLoopback, readBody, sendJson } from '../http/loopback-server.ts';
import { toHttpApiEvent } from './to-http-api-event.ts';
import { toHttpResponse } from './to-http-response.ts';

/** A Lambda handler behind an HTTP API route (payload format 2.0), e.g. an `APIGatewayProxyHandlerV2`. */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
  callback: Callback,
) => void | Promise<unknown>;

export type HttpApiRoute = HttpApiHandler | { functionName: string; handler: HttpApiHandler };

export interface StartApiGatewayOptions {
  /**
   * Path prefix → handler. The longest prefix that matches whole path segments wins (`/webhook`
   * serves `/webhook` and `/webhook/x`, not `/webhooks`); `/` catches everything else.
   */
  routes: Record<string, HttpApiRoute>;
  port?: number;
  /** API Gateway's integration timeout: 30 s (HTTP APIs cannot go higher). Lower it only in tests. */
  timeoutMs?: number;
  /** API Gateway's payload limit: 10 MB. */
  maxBodyBytes?: number;
  region?: string;
  accountId?: string;
  logger?: LocalLogger;
}

export interface LocalApiGateway {
  url: string;
  stop(): Promise<void>;
}

// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
const INTEGRATION_TIMEOUT_MS = 30_000;
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TIMED_OUT = Symbol('timed out');

/**
 * An HTTP API on 127.0.0.1: each request becomes a payload-2.0 event for the matching in-process
 * handler, and its result becomes the response, with API Gateway's own answers for what goes wrong
 * (404 no route, 413 too large, 500 function error or malformed result, 503 integration timeout).
 */
export async function startApiGateway(options: StartApiGatewayOptions): Promise<LocalApiGateway> {
  const timeoutMs = options.timeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_PAYLOAD_BYTES;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-api-gateway' });
  const apiId = 'local';
  const routes = Object.entries(options.routes)
    .map(([prefix, route]) => ({
      prefix: prefix === '/' ? '/' : prefix.replace(/\/+$/, ''),
      ...(typeof route === 'function' ? { functionName: functionNameFor(prefix), handler: route } : route),
    }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const inFlight = new Set<Promise<unknown>>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    // API Gateway's own header; handy to find the request in the logs.
    const idHeader = { 'apigw-requestid': requestId };
    // The webhook checks GitHub's signature itself; a web page that rebinds its name to 127.0.0.1
    // still sends its own Host, and is not let through to the handlers.
    const wrongHost = checkHost(req.headers, 'API Gateway');
    if (wrongHost) {
      req.resume();
      sendJson(res, 403, { message: `Forbidden: ${wrongHost.message}` }, idHeader);
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.find((r) => r.prefix === '/' || path === r.prefix || path.startsWith(`${r.prefix}/`));
    if (!route) {
      req.resume();
      sendJson(res, 404, { message: 'Not Found' }, idHeader);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      sendJson(res, 413, { message: 'Request Entity Too Large' }, { ...idHeader, connection: 'close' });
      return;
    }
    const event = toHttpApiEvent(req, body, { requestId, apiId, accountId });
    const context = createLambdaContext({
      functionName: route.functionName,
      timeoutMs,
      region: options.region,
      accountId,
    });

    const invocation = Promise.resolve().then(() => route.handler(event, context, noCallback));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    const settled = Promise.race([invocation, timedOut]);
    const tracked = settled.then(
      () => {},
      () => {},
    );
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
    try {
      const result = await settled;
      if (result === TIMED_OUT) {
        logger.error('integration timed out', { requestId, functionName: route.functionName, timeoutMs });
        sendJson(res, 503, { message: 'Service Unavailable' }, idHeader);
        return;
      }
      const response = toHttpResponse(result);
      const headers: Record<string, string | string[]> = {
        ...response.headers,
        ...idHeader,
        'content-length': String(response.body.length),
      };
      if (response.cookies.length > 0) headers['set-cookie'] = response.cookies;
      res.writeHead(response.statusCode, headers).end(response.body);
    } catch (error) {
      logger.error('integration failed', { requestId, functionName: route.functionName, error: describe(error) });
      sendJson(res, 500, { message: 'Internal Server Error' }, idHeader);
    } finally {
      clearTimeout(timer);
    }
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local API Gateway failed', { error: describe(error) });
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  }, options.port);

  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      // Requests in flight end with their handler or at their integration timeout, whichever is first;
      // a handler past its timeout is abandoned, as API Gateway abandons it.
      await Promise.allSettled([...inFlight]);
    },
  };
}

function functionNameFor(prefix: string): string {
  const name = prefix.replace(/[^A-Za-z0-9-_]+/g, '-').replace(/^-+|-+$/g, '');
  return `pushgate-${name || 'default'}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
