import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The deploy tool of every scenario's repository, run by the `command` engine in the project dir.
 * `plan` writes the project's `version` file as the plan; `apply` copies the reviewed plan to
 * `$PUSHGATE_DEPLOY_ROOT/<environment>/<project>/version`, between a `begin` and an `end` line in
 * `<project>.ledger` next to it, so a test can see whether two applies ever overlapped. Marker files
 * in the project dir change that: `fail-plan`, `fail-apply`, `empty-plan` (no changes), `slow-plan`.
 */
export const DEPLOY_TOOL = `#!/usr/bin/env bash
set -euo pipefail
case "$1" in
  plan)
    if [ -f fail-plan ]; then echo "plan: the provider is not reachable" >&2; exit 3; fi
    if [ -f slow-plan ]; then sleep 2; fi
    if [ -f empty-plan ]; then : > plan.out; else cp version plan.out; fi
    # What a person reads in the pull request's comment: the plan as the tool prints it.
    echo "$PUSHGATE_PROJECT → $PUSHGATE_ENVIRONMENT: version $(cat plan.out)"

    ;;
  apply)
    if [ -f fail-apply ]; then echo "apply: quota exceeded" >&2; exit 4; fi
    dest="$PUSHGATE_DEPLOY_ROOT/$PUSHGATE_ENVIRONMENT"
    ledger="$dest/$PUSHGATE_PROJECT.ledger"
    mkdir -p "$dest/$PUSHGATE_PROJECT"
    echo "begin $(cat "$PUSHGATE_PLAN_FILE")" >> "$ledger"
    sleep 0.1
    cp "$PUSHGATE_PLAN_FILE" "$dest/$PUSHGATE_PROJECT/version"
    echo "end $(cat "$PUSHGATE_PLAN_FILE")" >> "$ledger"
    ;;
  *)
    echo "usage: deploy.sh plan|apply" >&2; exit 2
    ;;
esac
`;

export interface CommandRepoOptions {
  /** Environment names, each deployed from `branch`; with `ordered`, each comes `after` the one before. */
  environments: string[];
  ordered?: boolean;
  /** Environments that wait for an approval (by `approvers`, default octocat). */
  approval?: string[];
  /** Who may approve the `approval` environments; default `[octocat]`. */
  approvers?: string[];
  /** `approval.allowSelfApproval` of the `approval` environments; default unset (false). */
  allowSelfApproval?: boolean;
  /** `approval.timeoutMinutes` of the `approval` environments; default unset (1440). */
  timeoutMinutes?: number;
  /** Project names (each a dir of that name with a `version` file); default `['app']`. */
  projects?: string[];
  concurrency?: 'queue' | 'supersede';
}

/** pushgate.yml of `command` projects that deploy `branch` with tools/deploy.sh. */
export function commandConfig(branch: string, options: CommandRepoOptions): string {
  const environments = options.environments.map((name, index) => {
    const lines = [`  ${name}:`, `    branch: ${branch}`];
    const before = options.environments[index - 1];
    if (options.ordered && before) lines.push(`    after: ${before}`);
    if (options.approval?.includes(name)) lines.push(`    approval: { ${approvalSettings(options)} }`);
    return lines.join('\n');
  });
  const projects = (options.projects ?? ['app']).map((name) =>
    [
      `  - name: ${name}`,
      `    dir: ${name}`,
      '    engine: command',
      `    environments: [${options.environments.join(', ')}]`,
      '    command:',
      '      plan: bash ../tools/deploy.sh plan',
      '      planFile: plan.out',
      '      apply: bash ../tools/deploy.sh apply',
    ].join('\n'),
  );
  return [
    'version: 1',
    'environments:',
    ...environments,
    'projects:',
    ...projects,
    `concurrency: ${options.concurrency ?? 'queue'}`,
    '',
  ].join('\n');
}

function approvalSettings(options: CommandRepoOptions): string {
  const settings = ['required: true', `approvers: [${(options.approvers ?? ['octocat']).join(', ')}]`];
  if (options.allowSelfApproval !== undefined) settings.push(`allowSelfApproval: ${options.allowSelfApproval}`);
  if (options.timeoutMinutes !== undefined) settings.push(`timeoutMinutes: ${options.timeoutMinutes}`);
  return settings.join(', ');
}

/** A whole repository: pushgate.yml, the deploy tool, and `<project>/version` = 1 for each project. */
export function commandRepo(branch: string, options: CommandRepoOptions): Record<string, string> {
  return {
    'pushgate.yml': commandConfig(branch, options),
    'tools/deploy.sh': DEPLOY_TOOL,
    ...Object.fromEntries((options.projects ?? ['app']).map((name) => [`${name}/version`, '1\n'])),
  };
}

/** What tools/deploy.sh last applied to `environment`, or undefined when nothing was. */
export async function deployedVersion(
  deployRoot: string,
  environment: string,
  project = 'app',
): Promise<string | undefined> {
  return readFile(join(deployRoot, environment, project, 'version'), 'utf8').catch(() => undefined);
}

/** The begin/end lines of every apply of `project` to `environment`, oldest first. */
export async function ledgerLines(deployRoot: string, environment: string, project = 'app'): Promise<string[]> {
  const text = await readFile(join(deployRoot, environment, `${project}.ledger`), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}
