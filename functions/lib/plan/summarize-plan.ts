import type { PlanSummary } from '../workflow/contract.ts';
import { PlanFormatError } from './errors.ts';
import { looksLikeChangeSet, summarizeChangeSet } from './summarize-change-set.ts';
import { looksLikePushgatePlan, PUSHGATE_PLAN_FORMAT, summarizePushgatePlan } from './summarize-pushgate-plan.ts';
import { looksLikeTerraformPlan, summarizeTerraformPlan } from './summarize-terraform-plan.ts';

/**
 * The counts of a plan, whichever engine wrote it, recognised by its shape: a Terraform / OpenTofu
 * `show -json` plan, a CloudFormation `describe-change-set` response, or a pushgate-plan/1 document.
 * Anything else is a PlanFormatError with a one-line reason. No value from the plan is copied.
 */
export function summarizePlan(json: unknown): PlanSummary {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new PlanFormatError(
      `expected a JSON object, found ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`,
    );
  }
  const document = json as Record<string, unknown>;
  if (looksLikePushgatePlan(document)) return summarizePushgatePlan(document);
  if (looksLikeTerraformPlan(document)) return summarizeTerraformPlan(document);
  if (looksLikeChangeSet(document)) return summarizeChangeSet(document);
  if ('format_version' in document && 'values' in document) {
    throw new PlanFormatError('this is Terraform state (`terraform show -json` without a plan file), not a plan');
  }
  throw new PlanFormatError(
    `not a Terraform/OpenTofu JSON plan (format_version, resource_changes), a CloudFormation change set (Changes) or a ${PUSHGATE_PLAN_FORMAT} document (format)`,
  );
}
