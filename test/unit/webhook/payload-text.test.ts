import { describe, expect, it } from 'vitest';
import { MalformedPayloadError, UnsupportedMediaTypeError } from '../../../functions/lib/webhook/errors.ts';
import { payloadText } from '../../../functions/lib/webhook/payload-text.ts';

describe('payloadText', () => {
  it('returns a JSON body as it is', () => {
    expect(payloadText('application/json', '{"a":1}')).toBe('{"a":1}');
    expect(payloadText('Application/JSON; charset=utf-8', Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
  });

  it('takes the payload field of a form body', () => {
    const payload = JSON.stringify({ zen: 'a & b = c', n: 1 });
    const body = new URLSearchParams({ payload }).toString();
    expect(payloadText('application/x-www-form-urlencoded', body)).toBe(payload);
  });

  it('answers 400 for a form body without a payload field', () => {
    expect(() => payloadText('application/x-www-form-urlencoded', 'other=1')).toThrow(MalformedPayloadError);
  });

  it.each([undefined, '', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx'])(
    'answers 415 for content type %j',
    (contentType) => {
      let thrown: unknown;
      try {
        payloadText(contentType, '{}');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UnsupportedMediaTypeError);
      expect((thrown as UnsupportedMediaTypeError).statusCode).toBe(415);
    },
  );
});
