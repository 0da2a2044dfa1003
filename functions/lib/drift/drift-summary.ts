import type { PlanSummary } from '../workflow/contract.ts';

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * A drift's plan in a few characters, for a status line: `~1 change`, `+2 to add, -1 to destroy`,
 * `1 output change`. Only the counts that are not zero; `no changes` for a clean plan.
 */
export function formatDriftSummary(summary: PlanSummary): string {
  const parts: string[] = [];
  if (summary.add > 0) parts.push(`+${summary.add} to add`);
  if (summary.change > 0) parts.push(`~${plural(summary.change, 'change', 'changes')}`);
  if (summary.destroy > 0) parts.push(`-${summary.destroy} to destroy`);
  if (summary.replace > 0) parts.push(`-/+${summary.replace} to replace`);
  if ((summary.import ?? 0) > 0) parts.push(`${summary.import} to import`);
  if ((summary.forget ?? 0) > 0) parts.push(`${summary.forget} to forget`);
  if (summary.outputChanges.length > 0) {
    parts.push(plural(summary.outputChanges.length, 'output change', 'output changes'));
  }
  if (parts.length > 0) return parts.join(', ');
  return summary.hasChanges ? 'changes' : 'no changes';
}
