import type { APIGatewayProxyEventV2, APIGatewayProxyHandlerV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway, type LocalApiGateway } from '../../../local/api-gateway/start-api-gateway.ts';
import type { LocalLogger } from '../../../local/lambda/start-lambda.ts';

const quiet: LocalLogger = { info: () => {}, error: () => {} };

/** Typed as a real handler module exports it: it must register as it is. */
const typedHandler: APIGatewayProxyHandlerV2 = async (event) => ({ statusCode: 200, body: event.rawPath });

describe('local API Gateway (HTTP API, payload 2.0)', () => {
  let api: LocalApiGateway;
  let lastEvent: APIGatewayProxyEventV2 | undefined;
  let lastFunctionName: string | undefined;

  beforeAll(async () => {
    api = await startApiGateway({
      logger: quiet,
      routes: {
        '/webhook': async (event, context) => {
          lastEvent = event;
          lastFunctionName = context.functionName;
          return {
            statusCode: 202,
            headers: { 'content-type': 'application/json', 'x-count': 3 },
            body: '{"accepted":true}',
          };
        },
        '/webhook/special': { functionName: 'special-fn', handler: async () => ({ statusCode: 200, body: 'special' }) },
        '/binary': async () => ({
          statusCode: 200,
          body: Buffer.from([0, 1, 2, 255]).toString('base64'),
          isBase64Encoded: true,
        }),
        '/cookies': async () => ({ statusCode: 204, cookies: ['a=1; Path=/', 'b=2'] }),
        '/plain-object': async () => ({ hello: 'world' }),
        '/string': async () => 'just text',
        '/typed': typedHandler,
        '/throws': async () => {
          throw new Error('handler bug');
        },
        '/bad-status': async () => ({ statusCode: 'ok', body: 'x' }),
        '/bad-body': async () => ({ statusCode: 200, body: { not: 'a string' } }),
        '/undefined': async () => undefined,
      },
    });
  });

  afterAll(() => api.stop());

  it('turns a request into a payload-2.0 event', async () => {
    const res = await fetch(`${api.url}/webhook/github?a=1&a=2&b=x%20y`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        Cookie: 'c1=v1; c2=v2',
        'User-Agent': 'GitHub-Hookshot/abc',
      },
      body: '{"zen":"Keep it logically awesome."}',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-count')).toBe('3');
    expect(await res.json()).toEqual({ accepted: true });
    const event = lastEvent!;
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('$default');
    expect(event.rawPath).toBe('/webhook/github');
    expect(event.rawQueryString).toBe('a=1&a=2&b=x%20y');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x y' });
    expect(event.headers['x-github-event']).toBe('push');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['c1=v1', 'c2=v2']);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('{"zen":"Keep it logically awesome."}');
    expect(event.requestContext.http).toEqual({
      method: 'POST',
      path: '/webhook/github',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'GitHub-Hookshot/abc',
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.routeKey).toBe('$default');
    expect(event.requestContext.stage).toBe('$default');
    expect(typeof event.requestContext.timeEpoch).toBe('number');
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(lastFunctionName).toBe('pushgate-webhook');
  });

  it('base64-encodes bodies that are not text, as API Gateway does', async () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]);
    await fetch(`${api.url}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(lastEvent!.isBase64Encoded).toBe(true);
    expect(Buffer.from(lastEvent!.body!, 'base64').equals(bytes)).toBe(true);

    await fetch(`${api.url}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    expect(lastEvent!.isBase64Encoded).toBe(true);
    expect(Buffer.from(lastEvent!.body!, 'base64').toString()).toBe('payload=%7B%7D');
  });

  it('sends no body and no query parameters when there are none', async () => {
    await fetch(`${api.url}/webhook`);
    expect(lastEvent!.body).toBeUndefined();
    expect(lastEvent!.queryStringParameters).toBeUndefined();
    expect(lastEvent!.isBase64Encoded).toBe(false);
  });

  it('routes to the longest matching prefix on whole segments', async () => {
    const special = await fetch(`${api.url}/webhook/special/x`);
    expect(await special.text()).toBe('special');
    const none = await fetch(`${api.url}/webhooks`);
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ message: 'Not Found' });
  });

  it('decodes base64 results, sets cookies and interprets non-structured results', async () => {
    const binary = await fetch(`${api.url}/binary`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));

    const cookies = await fetch(`${api.url}/cookies`);
    expect(cookies.status).toBe(204);
    expect(cookies.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);

    const object = await fetch(`${api.url}/plain-object`);
    expect(object.status).toBe(200);
    expect(object.headers.get('content-type')).toBe('application/json');
    expect(await object.json()).toEqual({ hello: 'world' });

    const text = await fetch(`${api.url}/string`);
    expect(await text.text()).toBe('just text');

    const typed = await fetch(`${api.url}/typed/x`);
    expect(await typed.text()).toBe('/typed/x');
  });

  it.each(['/throws', '/bad-status', '/bad-body', '/undefined'])(
    'answers 500 like API Gateway when %s',
    async (path) => {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    },
  );

  it('answers 413 for a body over 10 MB', async () => {
    const res = await fetch(`${api.url}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
  });
});

describe('local API Gateway integration timeout', () => {
  it('answers 503 when the handler outlives the integration timeout', async () => {
    let release: () => void = () => {};
    const api = await startApiGateway({
      logger: quiet,
      timeoutMs: 50,
      routes: { '/': () => new Promise((resolve) => (release = () => resolve({ statusCode: 200 }))) },
    });
    try {
      const res = await fetch(`${api.url}/slow`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ message: 'Service Unavailable' });
    } finally {
      release();
      await api.stop();
    }
  });
});
