/**
 * The error code of an AWS error answer: the `x-amzn-errortype` header, else the body's `__type`
 * (JSON protocols), `code` or `Type`; a namespace (`com.amazonaws…#`) and a trailing `:<url>` are
 * stripped, as the SDK does. https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 */
export function errorCode(header: string | null, body: Record<string, unknown>): string | undefined {
  const raw = [header, body.__type, body.code, body.Code, body.Type].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  if (raw === undefined) return undefined;
  const code = raw.split(':')[0]!;
  return code.slice(code.lastIndexOf('#') + 1);
}

/** The message of an AWS error answer, if it has one. */
export function errorMessage(body: Record<string, unknown>): string {
  const message = body.message ?? body.Message;
  return typeof message === 'string' ? message : '';
}
