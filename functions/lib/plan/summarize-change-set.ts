import * as z from 'zod';
import type { PlanSummary } from '../workflow/contract.ts';
import { describeZodError } from './describe-zod-error.ts';
import { PlanFormatError } from './errors.ts';

/**
 * The part of `aws cloudformation describe-change-set` output that counting needs; `Details`,
 * `Parameters` and the rest are dropped by zod.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html
 */
const ChangeSet = z.object({
  Status: z.string().optional(),
  StatusReason: z.string().optional(),
  Changes: z.array(
    z.object({
      Type: z.string().optional(),
      ResourceChange: z
        .object({
          Action: z.enum(['Add', 'Modify', 'Remove', 'Import', 'Dynamic']),
          LogicalResourceId: z.string(),
          Replacement: z.enum(['True', 'False', 'Conditional']).optional(),
          PolicyAction: z.string().optional(),
        })
        .optional(),
    }),
  ),
});

/**
 * How CloudFormation reports a change set that changes nothing: it fails it with this reason.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-create.html
 */
const NO_CHANGES_REASON = /didn't contain changes|No updates are to be performed/i;

/** Whether a parsed JSON document is shaped like a describe-change-set response. */
export function looksLikeChangeSet(document: Record<string, unknown>): boolean {
  return Array.isArray(document.Changes);
}

/**
 * Counts a CloudFormation change set in Terraform's terms:
 * - `Add` adds, `Remove` destroys, `Import` imports;
 * - `Modify` with `Replacement: True` is a replacement, one add and one destroy as Terraform counts
 *   `["delete","create"]`; with `False` or `Conditional` it is a change. `Conditional` means
 *   CloudFormation cannot tell before it runs, so pushgate does not claim a replacement it cannot see.
 * - `Dynamic` (nested stacks, macros: decided during the update) is a change;
 * - the DeletionPolicy `Retain` (`PolicyAction: Retain` / `ReplaceAndRetain`) keeps the old resource:
 *   it is forgotten rather than destroyed, like Terraform's `removed { lifecycle { destroy = false } }`.
 * A change set has no outputs section, so `outputChanges` is always empty.
 */
export function summarizeChangeSet(document: unknown): PlanSummary {
  const parsed = ChangeSet.safeParse(document);
  if (!parsed.success)
    throw new PlanFormatError(`not a valid CloudFormation change set: ${describeZodError(parsed.error)}`);
  const changeSet = parsed.data;
  const empty = { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: false };

  if (changeSet.Status === 'FAILED') {
    if (changeSet.Changes.length === 0 && NO_CHANGES_REASON.test(changeSet.StatusReason ?? '')) return empty;
    throw new PlanFormatError(`the change set FAILED: ${firstLine(changeSet.StatusReason ?? 'no reason given')}`);
  }
  if (changeSet.Status !== undefined && changeSet.Status !== 'CREATE_COMPLETE') {
    throw new PlanFormatError(`the change set is ${changeSet.Status}, not CREATE_COMPLETE`);
  }

  let add = 0;
  let change = 0;
  let destroy = 0;
  let replace = 0;
  let imported = 0;
  let forget = 0;
  for (const entry of changeSet.Changes) {
    const resource = entry.ResourceChange;
    if (entry.Type !== undefined && entry.Type !== 'Resource') continue;
    if (!resource) continue;
    const retains = resource.PolicyAction === 'Retain' || resource.PolicyAction === 'ReplaceAndRetain';
    switch (resource.Action) {
      case 'Add':
        add += 1;
        break;
      case 'Remove':
        if (retains) forget += 1;
        else destroy += 1;
        break;
      case 'Import':
        imported += 1;
        break;
      case 'Dynamic':
        change += 1;
        break;
      case 'Modify':
        if (resource.Replacement !== 'True') change += 1;
        else if (retains) {
          add += 1;
          forget += 1;
        } else {
          add += 1;
          destroy += 1;
          replace += 1;
        }
        break;
    }
  }
  return {
    ...empty,
    add,
    change,
    destroy,
    replace,
    ...(imported > 0 ? { import: imported } : {}),
    ...(forget > 0 ? { forget } : {}),
    hasChanges: add + change + destroy + imported + forget > 0,
  };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
