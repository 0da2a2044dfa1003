/**
 * DynamoDB's attribute values for the plain JSON the store writes (strings, numbers, booleans, null,
 * lists, maps), as @aws-sdk/util-dynamodb marshalls them with `removeUndefinedValues: true` (what the
 * store's document client is given): undefined members of maps and lists are left out.
 * Sets and binary are never written by the webhook and are refused rather than guessed.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

export class AttributeValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttributeValueError';
  }
}

export function toAttributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AttributeValueError(`cannot store the number ${value}`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.filter((item) => item !== undefined).map(toAttributeValue) };
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return { M: toAttributeMap(value) };
  throw new AttributeValueError(`cannot store a value of type ${typeof value}`);
}

export function toAttributeMap(value: object): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) map[key] = toAttributeValue(member);
  }
  return map;
}

export function fromAttributeValue(value: AttributeValue): unknown {
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('L' in value) return value.L.map(fromAttributeValue);
  if ('M' in value) return fromAttributeMap(value.M);
  throw new AttributeValueError(`cannot read the attribute type ${Object.keys(value as object).join(',')}`);
}

export function fromAttributeMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, fromAttributeValue(value)]));
}
