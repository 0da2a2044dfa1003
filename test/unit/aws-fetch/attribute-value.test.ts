import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  AttributeValueError,
  fromAttributeMap,
  toAttributeMap,
} from '../../../functions/lib/runtime/aws-fetch/attribute-value.ts';

// The webhook's hand-written attribute values against the SDK's (what the store's document client
// sends, with removeUndefinedValues), for the shapes the store writes.
const item = {
  pk: 'RUN#01',
  sk: 'RUN',
  expiresAt: 1_772_400_000,
  pullRequest: 7,
  ratio: 0.5,
  negative: -3,
  announceSkipped: false,
  done: true,
  nothing: null,
  skipped: undefined,
  notifications: {
    slack: { ok: true, at: '2026-01-01T00:00:00.000Z' },
    github: { ok: false, error: 'x', gone: undefined },
  },
  empty: {},
  list: ['a', 1, { b: [true, null] }, undefined],
  text: 'ünïcode "quoted"\n',
  emptyText: '',
};

describe('attribute values', () => {
  it('marshall as @aws-sdk/util-dynamodb does with removeUndefinedValues', () => {
    expect(toAttributeMap(item)).toEqual(marshall(item, { removeUndefinedValues: true }));
  });

  it('unmarshall as @aws-sdk/util-dynamodb does', () => {
    const marshalled = marshall(item, { removeUndefinedValues: true });
    expect(fromAttributeMap(toAttributeMap(item))).toEqual(unmarshall(marshalled));
  });

  it('refuse what the store never writes rather than guess', () => {
    expect(() => toAttributeMap({ when: new Date() })).toThrow(AttributeValueError);
    expect(() => toAttributeMap({ n: Number.NaN })).toThrow(AttributeValueError);
    expect(() => toAttributeMap({ s: new Set(['a']) })).toThrow(AttributeValueError);
  });
});
