import * as z from 'zod';
import { COMPUTE_NAMES } from '../engines/build-compute.ts';
import { Engine } from '../engines/engine.ts';
import { checkEngineOptions } from './check-engine-options.ts';
import { checkReferences } from './check-references.ts';
import { DEFAULT_DRIFT, DEFAULT_DRIFT_SCHEDULE, DriftScheduleText } from './drift-schedule.ts';

/**
 * The schema of `pushgate.yml`, the one file a user writes. Every object is strict so that a typo
 * (`enviroments:`) is reported instead of silently ignored. Cross-field rules (references between
 * environments and projects, engine options) run even when other fields are wrong, so that a user
 * sees every problem at once. `schema/pushgate.schema.json` is generated from this for editors
 * (scripts/generate-config-schema.ts): keep `describe()` texts user-facing.
 */

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_RULE = 'use lowercase letters, digits, "-" and "_", starting with a letter or digit';

/** Project and environment names end up in S3 keys, lock keys, stack names and CodeBuild variables. */
export const ProjectName = z.string().max(64).regex(NAME_PATTERN, NAME_RULE);
export const EnvironmentName = z.string().max(64).regex(NAME_PATTERN, NAME_RULE);

/** YAML reads `replicas: 3` as a number; a user means the text `3`. */
const ScalarText = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string' }).transform(String);

const NonEmpty = z.string().trim().min(1, 'must not be empty');

/** A path inside the repository, relative to its root (or to the project's dir where documented). */
const RelativePath = NonEmpty.refine(
  (path) => !path.startsWith('/') && !path.split('/').includes('..'),
  'must be a relative path inside the repository (no leading "/", no "..")',
);

const Directory = RelativePath.transform((dir) => dir.replace(/^(\.\/)+/, '').replace(/\/+$/, '') || '.');

/**
 * CodeBuild reserves `CODEBUILD_`; pushgate sets `PUSHGATE_` itself (project, environment, artifact
 * prefix, plan sha256), so a user value there would be misleading or unsafe.
 */
const VariableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name has letters, digits and "_" and does not start with a digit')
  .refine((name) => !/^(PUSHGATE_|CODEBUILD_)/i.test(name), 'names starting with PUSHGATE_ or CODEBUILD_ are reserved');

const Glob = NonEmpty;

const Approval = z
  .strictObject({
    required: z.boolean().default(true).describe('Whether a person must approve before apply (default true).'),
    approvers: z
      .array(NonEmpty)
      .default([])
      .describe('GitHub logins (or @org/team-slug) allowed to approve; the platform policy can narrow them.'),
    timeoutMinutes: z
      .number()
      .positive()
      .max(10080, 'at most 7 days (10080 minutes)')
      .default(1440)
      .describe('How long a run waits for an approval before the target ends `expired` (default 1440: 24 h).'),
    allowSelfApproval: z
      .boolean()
      .default(false)
      .describe(
        'Whether the person who pushed (or opened the pull request) may approve their own change (default false).',
      ),
  })
  .superRefine((approval, ctx) => {
    if (approval.required && approval.approvers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: 'approval is required but nobody may approve: list at least one GitHub login',
      });
    }
  })
  .describe('Wait for an approval between plan and apply.');

const Drift = z
  .strictObject({
    schedule: DriftScheduleText.prefault(DEFAULT_DRIFT_SCHEDULE).describe(
      'How often pushgate plans what runs here to find drift: `rate(<n> minutes|hours|days)` (at least 5 minutes) or `off` (default `rate(6 hours)`). `pushgate drift` checks now whatever the schedule.',
    ),
    remediate: z
      .boolean()
      .default(false)
      .describe(
        'Apply a drifted target again at its deployed commit, through the same workflow (lock, approvals as configured), recorded with trigger `drift` (default false: only tell).',
      ),
    issue: z
      .boolean()
      .default(false)
      .describe(
        'Open a GitHub issue in the repository when a check finds new drift here (once per new drift, labelled `pushgate:drift`); a later clean check closes it (default false: Slack only).',
      ),
  })
  .default(DEFAULT_DRIFT)
  .describe('Drift checks: a plan-only run at the deployed commit; a non-empty plan marks the target drifted.');

const COMPUTE_HELP = `one of ${COMPUTE_NAMES.join(', ')}`;

const unknownCompute = (input: unknown): string =>
  typeof input === 'string' ? `unknown compute "${input}": use ${COMPUTE_HELP}` : `expected a compute: ${COMPUTE_HELP}`;

/** A compute name alone, for `compute: lambda`. */
const ComputeChoice = z.enum(COMPUTE_NAMES, { error: (issue) => unknownCompute(issue.input) });

/**
 * A compute name inside `{ plan, apply }`: a refinement rather than an enum, because zod reports the
 * issues of a union's option only when they did not abort it, and this way `apply: huge` is reported
 * at its own path instead of as "not a compute" for the whole value.
 */
const PhaseComputeChoice = z
  .string({ error: (issue) => unknownCompute(issue.input) })
  .refine((name) => ComputeChoice.safeParse(name).success, { error: (issue) => unknownCompute(issue.input) })
  .transform((name) => ComputeChoice.parse(name))
  .meta({ enum: [...COMPUTE_NAMES] });

/**
 * `compute:` of an environment or a project: one name for both builds, or the plan's and the apply's
 * apart (a short plan on Lambda, a long apply on EC2). A project's value wins over its environment's,
 * build by build; without either, the engine's default (DEFAULT_COMPUTE in engines/build-compute.ts).
 */
export const ComputeConfig = z
  .union(
    [
      ComputeChoice,
      z.strictObject({
        plan: PhaseComputeChoice.optional().describe('Compute of the plan build.'),
        apply: PhaseComputeChoice.optional().describe('Compute of the apply build.'),
      }),
    ],
    {
      // A string that names no compute fails both options: say which name is unknown.
      error: (issue) =>
        typeof issue.input === 'string'
          ? unknownCompute(issue.input)
          : `expected a compute (${COMPUTE_HELP}) or { plan, apply } with one each`,
    },
  )
  .transform((compute) => (typeof compute === 'string' ? { plan: compute, apply: compute } : compute))
  .describe(
    'Where the CodeBuild builds run. `lambda` (2 GB) or `lambda-1gb`…`lambda-10gb`: CodeBuild Lambda compute, which starts in seconds but stops any build after 15 minutes and cannot run docker or root commands; `small`, `medium`, `large`, `xlarge`: EC2 (arm64), 90 s or more to start, up to 60 minutes. One value for both builds or `{ plan, apply }`. Default: `lambda` for terraform, opentofu and cloudformation, `small` for command.',
  );
export type ComputeConfig = z.infer<typeof ComputeConfig>;

export const EnvironmentConfig = z
  .strictObject({
    branch: z
      .union([Glob, z.array(Glob).min(1, 'list at least one branch')], {
        error: 'expected a branch name or a list of branch names (globs allowed)',
      })
      .transform((branch) => (Array.isArray(branch) ? branch : [branch]))
      .describe('Branch (or list of branches, globs allowed) whose pushes deploy to this environment.'),
    after: EnvironmentName.optional().describe(
      'Another environment that must have succeeded earlier in the same run (e.g. prod after staging).',
    ),
    approval: Approval.optional(),
    variables: z
      .record(VariableName, ScalarText)
      .optional()
      .describe('Environment variables of every build for this environment (plain text: never put secrets here).'),
    compute: ComputeConfig.optional(),
    drift: Drift,
  })
  .describe('An environment, deployed from the branches it maps.');
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;

/** `{env}` in a value is replaced by the environment name. */
const TerraformOptions = z
  .strictObject({
    workspace: NonEmpty.optional().describe('Workspace to select (default: the environment name; `{env}` allowed).'),
    varFiles: z
      .array(RelativePath)
      .optional()
      .describe('-var-file arguments, relative to the project dir (`{env}` allowed, e.g. `envs/{env}.tfvars`).'),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, 'expected a release version such as 1.9.5')
      .optional()
      .describe('Install this release before running; without it the build image must provide the tool.'),
  })
  .describe('Options of the terraform and opentofu engines.');

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

const CloudFormationOptions = z
  .strictObject({
    template: RelativePath.describe('Template file, relative to the project dir.'),
    stackName: z
      .string()
      .refine(
        (name) => /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name.replaceAll('{env}', 'env')),
        'a stack name has letters, digits and "-", starts with a letter and has at most 128 characters',
      )
      .optional()
      .describe(
        'Stack name (`{env}` allowed). Default `<owner>-<repo>-<project>-<env>` from the GitHub repository, with any character other than letters, digits and "-" replaced by "-" and names over 128 characters shortened with a hash.',
      ),
    parameters: z.record(z.string().min(1), ScalarText).optional().describe('Template parameters.'),
    capabilities: z.array(z.enum(CAPABILITIES)).optional(),
  })
  .describe('Options of the cloudformation engine.');

const CommandOptions = z
  .strictObject({
    validate: NonEmpty.optional().describe('Shell command run first, in the project dir.'),
    plan: NonEmpty.describe('Shell command that writes the plan to `planFile`.'),
    apply: NonEmpty.describe('Shell command that applies `$PUSHGATE_PLAN_FILE` (the reviewed plan).'),
    planFile: RelativePath.describe('The file `plan` writes, relative to the project dir.'),
    planJson: RelativePath.optional().describe(
      'A JSON file `plan` writes for the summary: terraform plan JSON or {"format":"pushgate-plan/1","changes":[{"action":"create|update|delete|replace","address":"…"}]}.',
    ),
  })
  .describe('Options of the command engine: your own tool.');

export const ProjectConfig = z
  .strictObject({
    name: ProjectName.describe('Unique project name.'),
    dir: Directory.describe('Project directory, relative to the repository root (`.` for the root).'),
    engine: Engine,
    environments: z.array(EnvironmentName).min(1, 'list at least one environment').describe('Where it deploys.'),
    watch: z
      .array(Glob)
      .min(1)
      .optional()
      .describe('Globs (from the repository root) of files whose change re-plans this project (default `<dir>/**`).'),
    terraform: TerraformOptions.optional(),
    cloudformation: CloudFormationOptions.optional(),
    command: CommandOptions.optional(),
    compute: ComputeConfig.optional(),
  })
  .superRefine(checkEngineOptions, { when: () => true })
  .transform((project) => ({ ...project, watch: project.watch ?? [project.dir === '.' ? '**' : `${project.dir}/**`] }))
  .describe('A deployable unit: one directory, one engine.');
export type ProjectConfig = z.infer<typeof ProjectConfig>;

export const PushgateConfig = z
  .strictObject({
    version: z.literal(1, 'expected version: 1'),
    // Names are checked by a refinement rather than the record's key schema: a key schema drops the
    // entry, and then every reference to it would be reported as undefined too.
    environments: z
      .record(z.string(), EnvironmentConfig)
      .superRefine(
        (environments, ctx) => {
          const names = Object.keys(environments);
          if (names.length === 0)
            ctx.addIssue({ code: 'custom', message: 'define at least one environment', input: {} });
          for (const name of names) {
            const checked = EnvironmentName.safeParse(name);
            if (!checked.success) {
              const reason = checked.error.issues[0]?.message ?? 'invalid';
              ctx.addIssue({ code: 'custom', path: [name], message: `invalid name: ${reason}`, input: name });
            }
          }
        },
        // Also when some environment is invalid, but only once the value is a mapping at all.
        { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
      )
      .meta({ propertyNames: { pattern: NAME_PATTERN.source, maxLength: 64 } })
      .describe('Environments by name.'),
    projects: z.array(ProjectConfig).min(1, 'define at least one project'),
    concurrency: z
      .enum(['queue', 'supersede'])
      .default('queue')
      .describe('queue: runs for the same target apply in push order; supersede: a newer run replaces a waiting one.'),
    applyBeforeMerge: z
      .boolean()
      .default(false)
      .describe(
        'Allow "/pushgate apply" on a pull request to deploy its head to the base branch environments before the merge. Read from the base branch only.',
      ),
    lockWaitMinutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .optional()
      .describe('How long a run waits for a busy target before it fails.'),
    parallelism: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "The most builds (plans and applies) of one run at once; the other targets wait their turn. At most the platform policy's maxParallelBuilds, which is also the default.",
      ),
    notify: z
      .strictObject({
        skipped: z
          .boolean()
          .default(false)
          .describe(
            'Also post skipped runs, which deploy nothing: pull requests from forks, commands from people without write access, branches with no environment, pushes that change no project (default false).',
          ),
      })
      .default({ skipped: false })
      .describe('What pushgate posts to Slack: how every run ended, except skipped runs unless `skipped` is true.'),
  })
  .superRefine(checkReferences, { when: () => true })
  .describe('pushgate repository configuration (pushgate.yml at the repository root).');
export type PushgateConfig = z.infer<typeof PushgateConfig>;
