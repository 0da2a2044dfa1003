import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newRunId, pooledRandom } from '../../../functions/lib/webhook/new-run-id.ts';

describe('newRunId', () => {
  it('makes valid, distinct, increasing ULIDs of the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => newRunId());
    const after = Date.now();
    for (const id of ids) expect(isValid(id)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(ids.at(-1)!)).toBeLessThanOrEqual(after);
  });

  it('draws random numbers in [0, 1) from every byte value, across refills of the pool', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 3 * 4096; i++) {
      const value = pooledRandom();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      seen.add(value * 256);
    }
    expect(seen.size).toBe(256);
  });
});
