import * as z from 'zod';
import type { PlanSummary } from '../workflow/contract.ts';
import { describeZodError } from './describe-zod-error.ts';
import { PlanFormatError } from './errors.ts';

/**
 * Only what counting needs. zod drops every other key, so `before`, `after`, `*_sensitive`,
 * `planned_values`, `prior_state`, variables… are never read into the summary, let alone copied.
 * https://developer.hashicorp.com/terraform/internals/json-format#plan-representation
 */
const TerraformPlan = z.object({
  format_version: z.string(),
  terraform_version: z.string().optional(),
  errored: z.boolean().optional(),
  resource_changes: z
    .array(
      z.object({
        address: z.string(),
        mode: z.string().optional(),
        previous_address: z.string().optional(),
        change: z.object({
          actions: z.array(z.string()).min(1),
          // Present (an object with `id` or `identity`) when the instance is imported by this plan.
          importing: z.unknown().optional(),
        }),
      }),
    )
    .optional(),
  output_changes: z.record(z.string(), z.object({ actions: z.array(z.string()).min(1) })).optional(),
  // Terraform ≥ 1.14 `action` blocks invoked by this plan ("Actions: N to invoke.").
  action_invocations: z.array(z.unknown()).optional(),
});
type TerraformPlan = z.infer<typeof TerraformPlan>;

/** Keys of `terraform show -json <planfile>` that `terraform show -json` of a state never has. */
const PLAN_KEYS = ['resource_changes', 'output_changes', 'planned_values', 'configuration', 'prior_state'];

/** Whether a parsed JSON document is shaped like a Terraform / OpenTofu JSON plan. */
export function looksLikeTerraformPlan(document: Record<string, unknown>): boolean {
  return 'format_version' in document && PLAN_KEYS.some((key) => key in document);
}

/**
 * Counts a Terraform / OpenTofu `show -json` plan exactly as the CLI's "Plan: X to add, Y to change,
 * Z to destroy." line does (hashicorp/terraform internal/command/jsonformat/plan.go, renderHuman):
 * - only managed resources count; a data source's `read` is not counted but, as in Terraform, still
 *   makes the plan non-empty; `no-op` counts only when it moves or imports the instance;
 * - `["delete","create"]` and `["create","delete"]` are one add and one destroy (and one replace);
 * - `["create","forget"]` (Terraform) / `["forget","create"]` (OpenTofu) is one add and one forget;
 *   `["forget"]` is a forget, which Terraform leaves out of the line and OpenTofu prints as "N to forget";
 * - `importing` counts "N to import" whatever the action.
 * An output change makes the plan non-empty ("Changes to Outputs"), except in plans written before
 * Terraform 0.14: those recorded every root output as `create` whatever its prior value
 * (hashicorp/terraform#24628, fixed by #26551) and their CLI ignored outputs when it said
 * "No changes. Infrastructure is up-to-date.", so their output changes are not evidence of anything.
 */
export function summarizeTerraformPlan(document: unknown): PlanSummary {
  const parsed = TerraformPlan.safeParse(document);
  if (!parsed.success) throw new PlanFormatError(`not a valid Terraform JSON plan: ${describeZodError(parsed.error)}`);
  const plan = parsed.data;
  if (plan.errored) {
    throw new PlanFormatError('Terraform marked this plan as errored (planning failed), so it cannot be applied');
  }

  let add = 0;
  let change = 0;
  let destroy = 0;
  let replace = 0;
  let imported = 0;
  let forget = 0;
  let resourceChanges = false;

  for (const resource of plan.resource_changes ?? []) {
    const mode = resource.mode ?? 'managed';
    // OpenTofu's ephemeral resources are opened and closed within one run and never rendered.
    if (mode === 'ephemeral') continue;
    const action = resource.change.actions.join(',');
    const importing = resource.change.importing !== undefined && resource.change.importing !== null;
    const moved = resource.previous_address !== undefined && resource.previous_address !== resource.address;
    if (action === 'no-op') {
      if (moved || importing) resourceChanges = true;
      if (importing) imported += 1;
      continue;
    }
    // Terraform skips deleted data sources entirely (they are only dropped from state).
    if (mode !== 'managed' && action === 'delete') continue;
    resourceChanges = true;
    if (importing) imported += 1;
    if (mode !== 'managed') {
      if (action === 'read') continue;
      throw new PlanFormatError(`${resource.address} has the action [${action}], which a ${mode} resource cannot have`);
    }
    switch (action) {
      case 'create':
        add += 1;
        break;
      case 'update':
        change += 1;
        break;
      case 'delete':
        destroy += 1;
        break;
      case 'delete,create':
      case 'create,delete':
        add += 1;
        destroy += 1;
        replace += 1;
        break;
      case 'create,forget':
      case 'forget,create':
        add += 1;
        forget += 1;
        break;
      case 'forget':
        forget += 1;
        break;
      default:
        // Guessing could report a destroy as nothing at all: refuse instead.
        throw new PlanFormatError(`${resource.address} has the action [${action}], which pushgate does not know`);
    }
  }

  const outputChanges = writtenBeforeOutputsWereRecorded(plan)
    ? []
    : Object.entries(plan.output_changes ?? {})
        .filter(([, output]) => !(output.actions.length === 1 && output.actions[0] === 'no-op'))
        .map(([name]) => name)
        .sort();

  const actionCount = plan.action_invocations?.length ?? 0;
  return {
    add,
    change,
    destroy,
    replace,
    ...(imported > 0 ? { import: imported } : {}),
    ...(forget > 0 ? { forget } : {}),
    outputChanges,
    hasChanges: resourceChanges || outputChanges.length > 0 || actionCount > 0,
  };
}

function writtenBeforeOutputsWereRecorded(plan: TerraformPlan): boolean {
  const match = /^(\d+)\.(\d+)\./.exec(plan.terraform_version ?? '');
  if (!match) return false;
  return Number(match[1]) === 0 && Number(match[2]) < 14;
}
