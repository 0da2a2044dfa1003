import { createHmac, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** `X-Hub-Signature-256` of `body` as GitHub computes it: HMAC-SHA256, hex, `sha256=` prefix. */
export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface ApiGatewayEventInput {
  body?: string;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  isBase64Encoded?: boolean;
}

/** An API Gateway HTTP API (payload format 2.0) event, as the Lambda receives it. */
export function apiGatewayEvent(input: ApiGatewayEventInput = {}): APIGatewayProxyEventV2 {
  const method = input.method ?? 'POST';
  const path = input.path ?? '/webhook';
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: input.headers ?? {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '140.82.115.1', userAgent: 'GitHub-Hookshot/test' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(input.body === undefined ? {} : { body: input.body }),
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
}

export interface GitHubDeliveryInput {
  secret: string;
  event: string;
  payload: unknown;
  deliveryId?: string;
}

/** A signed GitHub delivery of `payload` (JSON) as an HTTP API event, with GitHub's headers (lower-cased, as API Gateway passes them). */
export function githubDelivery(input: GitHubDeliveryInput): APIGatewayProxyEventV2 {
  const body = typeof input.payload === 'string' ? input.payload : JSON.stringify(input.payload);
  return apiGatewayEvent({
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': input.event,
      'x-github-delivery': input.deliveryId ?? randomUUID(),
      'x-github-hook-id': '109948940',
      'x-hub-signature-256': sign(input.secret, body),
    },
  });
}
