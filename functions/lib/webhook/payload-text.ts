import { MalformedPayloadError, UnsupportedMediaTypeError } from './errors.ts';

/**
 * The JSON text of the payload, for either content type a GitHub hook can be set to: `application/json`
 * (the body is the payload) or `application/x-www-form-urlencoded` (the payload is the `payload` field).
 * https://docs.github.com/en/webhooks/using-webhooks/creating-webhooks#content-type
 */
export function payloadText(contentType: string | undefined, body: string | Buffer): string {
  const semicolon = contentType?.indexOf(';') ?? -1;
  const mediaType = (semicolon === -1 ? contentType : contentType!.slice(0, semicolon))?.trim().toLowerCase();
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (mediaType === 'application/json') return text;
  if (mediaType === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new MalformedPayloadError('form body has no payload field');
    return payload;
  }
  throw new UnsupportedMediaTypeError(contentType);
}
