import { createHash } from 'node:crypto';
import type { RunRequest } from '../workflow/contract.ts';
import { buildVariables, script } from './build-steps.ts';
import type { BuildTarget, Buildspecs, EngineOptions } from './engine-types.ts';
import type { PlanArtifactFile } from './plan-exports.ts';
import { expandEnv } from './expand-env.ts';
import { planAndApply } from './plan-and-apply.ts';
import { shellQuote } from './shell-quote.ts';

const ARTIFACTS: PlanArtifactFile[] = ['plan.bin', 'plan.json'];

/**
 * CloudFormation's plan is a change set: created and described in the plan build (its ARN is the
 * plan artifact, plan.bin), executed in the apply build. A change set cannot change after creation,
 * so the verified ARN pins exactly what was reviewed.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets.html
 */
export function cloudformationBuildspec(
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  planOnly: boolean,
): Buildspecs {
  const settings = options.project.cloudformation;
  if (!settings)
    throw new TypeError(`project ${target.project} has engine cloudformation but no cloudformation options`);
  const stack = shellQuote(
    settings.stackName === undefined
      ? defaultStackName(run.repo, target.project, target.environment)
      : expandEnv(settings.stackName, target.environment),
  );
  // Change set names: a letter, then letters, digits and hyphens, at most 128 characters.
  const changeSet = shellQuote(`pushgate-${run.runId.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 128));
  const parameters = Object.entries(settings.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue: expandEnv(ParameterValue, target.environment),
  }));
  const capabilities = settings.capabilities ?? [];
  const variables = buildVariables(target, options, run);

  const createArgs = [
    '--stack-name "$stack"',
    `--change-set-name ${changeSet}`,
    '--change-set-type "$type"',
    `--template-body file://${shellQuote(settings.template)}`,
    ...(parameters.length > 0 ? ['--parameters file://"$parameters"'] : []),
    ...(capabilities.length > 0 ? [`--capabilities ${capabilities.join(' ')}`] : []),
    '--query Id --output text',
  ];

  return planAndApply(
    {
      variables,
      dir: target.dir,
      plan: [
        `aws cloudformation validate-template --template-body file://${shellQuote(settings.template)} > /dev/null`,
        script([
          `stack=${stack}`,
          stackStatus(),
          // A stack left in REVIEW_IN_PROGRESS by an unexecuted CREATE change set still takes CREATE.
          'if [ -z "$status" ] || [ "$status" = REVIEW_IN_PROGRESS ]; then type=CREATE; else type=UPDATE; fi',
          ...(parameters.length > 0
            ? ['parameters="$(mktemp)"', `printf '%s' ${shellQuote(JSON.stringify(parameters))} > "$parameters"`]
            : []),
          `aws cloudformation create-change-set ${createArgs.join(' ')} > plan.bin`,
          'arn="$(cat plan.bin)"',
          'if ! aws cloudformation wait change-set-create-complete --change-set-name "$arn"; then',
          `  reason="$(aws cloudformation describe-change-set --change-set-name "$arn" --query StatusReason --output text)"`,
          '  case "$reason" in',
          `    *"didn't contain changes"* | *"No updates are to be performed"*) echo "no changes: $reason" ;;`,
          '    *) echo "change set failed: $reason" >&2; exit 1 ;;',
          '  esac',
          'fi',
          'aws cloudformation describe-change-set --change-set-name "$arn" --output json > plan.json',
        ]),
      ],
      artifacts: ARTIFACTS,
      apply: [
        script([
          `stack=${stack}`,
          'arn="$(cat plan.bin)"',
          'state="$(aws cloudformation describe-change-set --change-set-name "$arn" --query Status --output text)"',
          'if [ "$state" = FAILED ]; then',
          // The plan build accepts a failed change set only when it had no changes.
          '  echo "the change set has no changes: nothing to apply"',
          'elif [ "$state" = CREATE_COMPLETE ]; then',
          `  ${stackStatus()}`,
          '  aws cloudformation execute-change-set --change-set-name "$arn"',
          '  if [ "$status" = REVIEW_IN_PROGRESS ]; then',
          '    aws cloudformation wait stack-create-complete --stack-name "$stack"',
          '  else',
          '    aws cloudformation wait stack-update-complete --stack-name "$stack"',
          '  fi',
          'else',
          '  echo "change set $arn is $state: cannot apply it" >&2',
          '  exit 1',
          'fi',
        ]),
      ],
    },
    planOnly,
  );
}

/** `$status`: the stack's status, empty when it does not exist. */
function stackStatus(): string {
  return `status="$(aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus' --output text 2>/dev/null || true)"`;
}

/** CloudFormation's limit on stack names. https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html */
const MAX_STACK_NAME = 128;

/**
 * The stack of a project in an environment when pushgate.yml names none: `<owner>-<repo>-<project>-<env>`,
 * so that two repositories with a project and an environment of the same names never share a stack.
 * It starts with the owner exactly as GitHub spells it (case kept), which is what the deploy-time IAM
 * default relies on (serverless.yml `changeSetStackPattern`: `<sourceOwner>-*`). Made a valid stack
 * name (cloudFormationStackName): an owner that starts with a digit gets `gh-` in front, and then the
 * pattern must be set to `gh-<owner>-*`.
 */
export function defaultStackName(repo: string, project: string, environment: string): string {
  const [owner = '', name = ''] = repo.split('/');
  // `/` cannot appear in a project or environment name, so distinct targets hash differently.
  return cloudFormationStackName(`${owner}-${name}-${project}-${environment}`, `${repo}/${project}/${environment}`);
}

/**
 * `wanted` as a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most
 * 128 characters. Every other character becomes `-`, runs of `-` become one, and a name that is still
 * too long keeps a readable prefix and ends with 8 hex characters of the sha256 of `identity`, so
 * that distinct long names stay distinct.
 */
export function cloudFormationStackName(wanted: string, identity: string = wanted): string {
  let name = wanted.replace(/[^A-Za-z0-9-]+/g, '-').replace(/-{2,}/g, '-');
  if (!/^[A-Za-z]/.test(name)) name = `gh-${name}`.replace(/-{2,}/g, '-');
  if (name.length <= MAX_STACK_NAME) return name;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_STACK_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
