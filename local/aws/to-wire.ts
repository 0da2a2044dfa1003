/**
 * A response body for the awsJson protocols (CodeBuild 1.1, Step Functions 1.0): timestamps as epoch
 * seconds, undefined members left out, everything else as is.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key, toWire(item)]),
    );
  }
  return value;
}
