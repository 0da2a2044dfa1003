import type { ReportTarget, ReportView } from '../../../functions/lib/report/report-view.ts';
import type { PlanSummary } from '../../../functions/lib/workflow/contract.ts';

export const SHA = '0123456789abcdef0123456789abcdef01234567';
export const CONSOLE =
  'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates';

export function summary(add: number, change = 0, destroy = 0): PlanSummary {
  return { add, change, destroy, replace: 0, outputChanges: [], hasChanges: add + change + destroy > 0 };
}

export function target(overrides: Partial<ReportTarget> & Pick<ReportTarget, 'project' | 'environment'>): ReportTarget {
  return { status: 'planned', ...overrides };
}

export function view(overrides: Partial<ReportView> = {}): ReportView {
  return {
    runId: '01JRUN',
    repo: 'acme/infra',
    kind: 'plan',
    sha: SHA,
    branch: 'main',
    actor: 'octocat',
    status: 'succeeded',
    link: CONSOLE,
    pullRequest: 7,
    targets: [target({ project: 'network', environment: 'staging', summary: summary(1) })],
    ...overrides,
  };
}

/** A Terraform-like plan text of about `chars` characters. */
export function hugePlan(name: string, chars: number): string {
  const lines: string[] = [`Terraform will perform the following actions (${name}):`, ''];
  let size = lines.join('\n').length;
  for (let i = 0; size < chars; i++) {
    const line = `  # aws_s3_bucket.${name}_${i} will be created\n  + resource "aws_s3_bucket" "${name}_${i}" {\n      + bucket = "${name}-${i}"\n    }`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}
