import { Command } from 'commander';
import { repoOption } from '../lib/repo-option.ts';

interface ValidateOptions {
  repo?: string;
  policyFile?: string;
  stage?: string;
  defaultBranch?: string;
  json?: boolean;
}

/**
 * `pushgate validate [file]`: pushgate.yml checked as a run would check it, before the push: the
 * schema (every problem at its line and column), environments, branches and references, then what
 * the platform policy would refuse where the policy is reachable. Exit 0 valid, 1 invalid, 2 usage.
 */
export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'check pushgate.yml as a run would (schema, environments, branches, the platform policy) before you push',
    )
    .argument('[file]', 'the file to check (- reads standard input)', 'pushgate.yml')
    .addOption(
      repoOption('the repository, for its rule in the platform policy (default: origin on github.com)', {
        required: false,
      }),
    )
    .option('--policy-file <path>', 'check against this platform policy (YAML or JSON) instead of the stored one')
    .option(
      '--stage <stage>',
      'read the policy of this pushgate stage from SSM /pushgate/<stage>/policy (default: $PUSHGATE_STAGE)',
    )
    .option('--default-branch <name>', "the repository's default branch (default: origin/HEAD, else main)")
    .option('--json', 'print { valid, problems: [{ path, line, column, message }] } as JSON')
    .addHelpText(
      'after',
      `
The platform policy comes from --policy-file, else $PUSHGATE_POLICY, else SSM (--stage or
$PUSHGATE_STAGE, or $POLICY_PARAMETER), else the local stack when \`pushgate dev\`'s exports are set.
When none is reachable, the rest is checked and the output says the policy was not.
Exit codes: 0 valid, 1 invalid, 2 a usage error (e.g. no such file).

As a pre-push hook, checking the pushgate.yml of each commit pushed (.git/hooks/pre-push, executable):
  #!/bin/sh
  while read -r _ sha _ _; do
    case $sha in *[!0]*) ;; *) continue ;; esac   # a deleted branch
    git cat-file -e "$sha:pushgate.yml" 2>/dev/null || continue
    git show "$sha:pushgate.yml" | pushgate validate - || exit 1
  done`,
    )
    .action(async (file: string, options: ValidateOptions) => {
      // Loaded here: the config and policy schemas are most of the CLI's start time, and `--help` should not pay for them.
      const { checkConfigFile, formatValidation } = await import('../lib/validate/check-config-file.ts');
      const result = await checkConfigFile(file, options);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatValidation(file, result));
      if (!result.valid) process.exitCode = 1;
    });
}
