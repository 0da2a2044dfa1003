import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../functions/lib/plan/format-summary.ts';
import type { PlanSummary } from '../../../functions/lib/store/types.ts';

const summary = (fields: Partial<PlanSummary>): PlanSummary => ({
  add: 0,
  change: 0,
  destroy: 0,
  replace: 0,
  outputChanges: [],
  hasChanges: true,
  ...fields,
});

describe('formatSummary', () => {
  it("keeps Terraform's sentence and puts what it leaves out after it", () => {
    expect(formatSummary(summary({ add: 2, change: 1, destroy: 1 }))).toBe(
      'Plan: 2 to add, 1 to change, 1 to destroy.',
    );
    expect(formatSummary(summary({ add: 1, destroy: 1, replace: 1 }))).toBe(
      'Plan: 1 to add, 0 to change, 1 to destroy. (1 to replace)',
    );
    expect(formatSummary(summary({ import: 3, change: 1, forget: 1 }))).toBe(
      'Plan: 3 to import, 0 to add, 1 to change, 0 to destroy. (1 to forget)',
    );
  });

  it('says "No changes." exactly as Terraform does', () => {
    expect(formatSummary(summary({ hasChanges: false }))).toBe(
      'No changes. Your infrastructure matches the configuration.',
    );
  });

  it('names changed outputs, alone or after the resource counts', () => {
    expect(formatSummary(summary({ outputChanges: ['a', 'b'] }))).toBe('Changes to Outputs: a, b');
    expect(formatSummary(summary({ add: 1, outputChanges: ['a'] }))).toBe(
      'Plan: 1 to add, 0 to change, 0 to destroy. Changes to Outputs: a',
    );
  });

  it('keeps a long list of outputs short', () => {
    const outputChanges = Array.from({ length: 25 }, (_, i) => `o${String(i).padStart(2, '0')}`);
    expect(formatSummary(summary({ outputChanges }), { maxOutputs: 3 })).toBe(
      'Changes to Outputs: o00, o01, o02 and 22 more',
    );
    expect(formatSummary(summary({ outputChanges }))).toMatch(/o19 and 5 more$/);
  });
});
