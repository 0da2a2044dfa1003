import type { PlanSummary } from '../workflow/contract.ts';

/** Slack and GitHub show this line; a plan with hundreds of outputs must not fill the message. */
const DEFAULT_MAX_OUTPUTS = 20;

/**
 * A summary in Terraform's own words: "Plan: 2 to add, 1 to change, 1 to destroy.",
 * "No changes. Your infrastructure matches the configuration." or, for a plan that only changes
 * outputs, "Changes to Outputs: a, b". Terraform's sentence is kept exactly (with "N to import, "
 * where Terraform puts it); what Terraform's line leaves out comes after it in parentheses.
 */
export function formatSummary(summary: PlanSummary, options: { maxOutputs?: number } = {}): string {
  if (!summary.hasChanges) return 'No changes. Your infrastructure matches the configuration.';
  const imported = summary.import ?? 0;
  const forget = summary.forget ?? 0;
  const resourceCounts = summary.add + summary.change + summary.destroy + imported + forget;
  const sentences: string[] = [];

  // A plan that moves resources or reads data only still gets Terraform's line, with zeros.
  if (resourceCounts > 0 || summary.outputChanges.length === 0) {
    const importPart = imported > 0 ? `${imported} to import, ` : '';
    let line = `Plan: ${importPart}${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`;
    const extras = [
      ...(summary.replace > 0 ? [`${summary.replace} to replace`] : []),
      ...(forget > 0 ? [`${forget} to forget`] : []),
    ];
    if (extras.length > 0) line += ` (${extras.join(', ')})`;
    sentences.push(line);
  }
  if (summary.outputChanges.length > 0) {
    const max = options.maxOutputs ?? DEFAULT_MAX_OUTPUTS;
    const shown = summary.outputChanges.slice(0, max);
    const more = summary.outputChanges.length - shown.length;
    sentences.push(`Changes to Outputs: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  return sentences.join(' ');
}
