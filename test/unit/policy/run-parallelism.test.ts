import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PARALLEL_BUILDS } from '../../../functions/lib/policy/platform-policy.ts';
import { PolicyError } from '../../../functions/lib/policy/policy-error.ts';
import { parsePolicy } from '../../../functions/lib/policy/read-policy.ts';
import { runParallelism } from '../../../functions/lib/policy/run-parallelism.ts';

const policy = (extra: string) =>
  parsePolicy(`version: 1\n${extra}repositories:\n  - repos: ['acme/*']\n    environments: {}\n`, 'test');

describe('maxParallelBuilds in the platform policy', () => {
  it('defaults to 20 builds per run', () => {
    expect(DEFAULT_MAX_PARALLEL_BUILDS).toBe(20);
    expect(policy('').maxParallelBuilds).toBe(20);
  });

  it('takes a positive whole number', () => {
    expect(policy('maxParallelBuilds: 5\n').maxParallelBuilds).toBe(5);
    expect(() => policy('maxParallelBuilds: 0\n')).toThrow(PolicyError);
    expect(() => policy('maxParallelBuilds: 1.5\n')).toThrow(/maxParallelBuilds \(line 2\)/);
  });
});

describe('runParallelism', () => {
  const cap = { maxParallelBuilds: 10 };

  it("is what pushgate.yml asks for, up to the policy's cap", () => {
    expect(runParallelism(1, cap)).toBe(1);
    expect(runParallelism(10, cap)).toBe(10);
    expect(runParallelism(11, cap)).toBe(10);
    expect(runParallelism(1000, cap)).toBe(10);
  });

  it('is the cap when pushgate.yml asks for nothing', () => {
    expect(runParallelism(undefined, cap)).toBe(10);
  });
});
