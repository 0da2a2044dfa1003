import * as z from 'zod';
import type { PlanSummary } from '../workflow/contract.ts';
import { describeZodError } from './describe-zod-error.ts';
import { PlanFormatError } from './errors.ts';

export const PUSHGATE_PLAN_FORMAT = 'pushgate-plan/1';

/**
 * What a `command` project's plan step writes as plan.json when its tool has no plan format of its
 * own: one entry per object it would touch, and the names (never the values) of changed outputs.
 */
export const PushgatePlan = z.object({
  format: z.literal(PUSHGATE_PLAN_FORMAT),
  changes: z.array(
    z.object({
      action: z.enum(['create', 'update', 'delete', 'replace']),
      address: z.string().min(1),
    }),
  ),
  outputs: z.array(z.string()).optional(),
});
export type PushgatePlan = z.infer<typeof PushgatePlan>;

/** Whether a parsed JSON document claims to be a pushgate plan (of any version). */
export function looksLikePushgatePlan(document: Record<string, unknown>): boolean {
  return typeof document.format === 'string' && document.format.startsWith('pushgate-plan/');
}

/** Counts a pushgate-plan/1 document the way Terraform counts: a replace is one add and one destroy. */
export function summarizePushgatePlan(document: unknown): PlanSummary {
  const format = (document as { format?: unknown }).format;
  if (typeof format === 'string' && format !== PUSHGATE_PLAN_FORMAT && format.startsWith('pushgate-plan/')) {
    throw new PlanFormatError(`${format} is not supported; this pushgate reads ${PUSHGATE_PLAN_FORMAT}`);
  }
  const parsed = PushgatePlan.safeParse(document);
  if (!parsed.success)
    throw new PlanFormatError(`not a valid ${PUSHGATE_PLAN_FORMAT} document: ${describeZodError(parsed.error)}`);
  const plan = parsed.data;
  const count = (action: PushgatePlan['changes'][number]['action']) =>
    plan.changes.filter((entry) => entry.action === action).length;
  const replace = count('replace');
  const outputChanges = [...new Set(plan.outputs ?? [])].sort();
  return {
    add: count('create') + replace,
    change: count('update'),
    destroy: count('delete') + replace,
    replace,
    outputChanges,
    hasChanges: plan.changes.length > 0 || outputChanges.length > 0,
  };
}
