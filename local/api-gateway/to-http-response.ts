import { PushgateError } from '../../functions/lib/errors.ts';

/** The function's result is not something API Gateway can turn into a response (it answers 500). */
export class MalformedIntegrationResponseError extends PushgateError {}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/**
 * Interprets a payload-2.0 function result as API Gateway does: an object with `statusCode` is a
 * structured response; any other JSON value becomes a 200 `application/json` response with that
 * value as its body (a string as it is). Anything else — no result at all, a bad status code, a
 * non-string body — is an integration failure, never a success.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.response
 */
export function toHttpResponse(result: unknown): HttpResponse {
  if (result === undefined || result === null)
    throw new MalformedIntegrationResponseError('the function returned no result');
  if (typeof result === 'string') {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(result) };
  }
  if (typeof result !== 'object' || !('statusCode' in result)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(result);
    } catch (error) {
      throw new MalformedIntegrationResponseError('the function result is not JSON', { cause: error });
    }
    if (json === undefined) throw new MalformedIntegrationResponseError('the function result is not JSON');
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(json) };
  }

  const structured = result as Record<string, unknown>;
  const { statusCode, headers = {}, cookies = [], body, isBase64Encoded = false } = structured;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedIntegrationResponseError(`invalid statusCode: ${JSON.stringify(statusCode)}`);
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new MalformedIntegrationResponseError('headers must be an object');
  }
  const outHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new MalformedIntegrationResponseError(`header ${name} must be a string, number or boolean`);
    }
    outHeaders[name.toLowerCase()] = String(value);
  }
  if (!Array.isArray(cookies) || cookies.some((c) => typeof c !== 'string')) {
    throw new MalformedIntegrationResponseError('cookies must be an array of strings');
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new MalformedIntegrationResponseError('body must be a string');
  }
  if (typeof isBase64Encoded !== 'boolean')
    throw new MalformedIntegrationResponseError('isBase64Encoded must be a boolean');
  const text = typeof body === 'string' ? body : '';
  return {
    statusCode,
    headers: outHeaders,
    cookies: cookies as string[],
    body: isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}
