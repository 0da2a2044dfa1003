import * as z from 'zod';
import { Engine } from '../engines/engine.ts';

/**
 * The platform policy: what the operator of a pushgate stack allows, whatever a repository's
 * pushgate.yml asks for (like Atlantis' server-side repos.yaml). It lives outside every repository
 * (SSM parameter `/pushgate/<stage>/policy` on AWS, `PUSHGATE_POLICY` on the local stack), so no
 * push can change it. A repository's pushgate.yml can tighten it, never loosen it:
 * - which repositories may deploy which environments, and from which branches;
 * - the role each environment's plan and apply builds assume (an environment without `applyRole`
 *   cannot be deployed: there is no default role that could deploy anything);
 * - approvals every deploy of an environment needs at least, and who may give them;
 * - whether `/pushgate apply` may deploy before a merge, and which engines may run;
 * - how many builds one run may have at once (`maxParallelBuilds`), whatever `parallelism` asks.
 */

/**
 * The cap when the policy sets none. CodeBuild's default quota of concurrently running builds is per
 * compute type and region, in the tens for most (and lower in new accounts): 20 keeps one wide run
 * from taking them all, and builds past the account's quota wait in CodeBuild's queue anyway.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/limits.html
 */
export const DEFAULT_MAX_PARALLEL_BUILDS = 20;

const NonEmpty = z.string().trim().min(1, 'must not be empty');

/** An IAM role ARN in any partition and account; the builds assume it with `sts:AssumeRole`. */
const RoleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  );

export const PolicyApproval = z
  .strictObject({
    required: z.boolean().default(true).describe('Every deploy of this environment waits for an approval.'),
    approvers: z
      .array(NonEmpty)
      .default([])
      .describe('GitHub logins (or @org/team) who may approve; a repository may name fewer, never others.'),
    timeoutMinutes: z
      .number()
      .positive()
      .max(10080)
      .optional()
      .describe('Longest approval wait a repository may set (minutes); shorter repository values win.'),
    allowSelfApproval: z
      .boolean()
      .optional()
      .describe('false: nobody approves their own change, whatever pushgate.yml says.'),
  })
  .describe('Approval that every repository deploying this environment must at least ask for.');
export type PolicyApproval = z.infer<typeof PolicyApproval>;

export const PolicyEnvironment = z
  .strictObject({
    branches: z
      .array(NonEmpty)
      .min(1, 'list at least one branch')
      .optional()
      .describe("Branches (globs) that may deploy this environment; default: the repository's default branch only."),
    applyRole: RoleArn.optional().describe('Role the apply build assumes. Without it the environment cannot deploy.'),
    planRole: RoleArn.optional().describe("Role the plan build assumes; default: the stack's read-only plan role."),
    approval: PolicyApproval.optional(),
  })
  .describe('What the policy allows for one environment name.');
export type PolicyEnvironment = z.infer<typeof PolicyEnvironment>;

export const PolicyRepositories = z
  .strictObject({
    repos: z.array(NonEmpty).min(1, 'list at least one repository').describe('owner/name globs, e.g. acme/*.'),
    engines: z.array(Engine).min(1).optional().describe('Engines these repositories may use (default: all).'),
    applyBeforeMerge: z
      .boolean()
      .default(false)
      .describe('Whether these repositories may turn on applyBeforeMerge ("/pushgate apply" on open pull requests).'),
    environments: z
      .record(z.string(), PolicyEnvironment)
      .describe('By environment name; "*" applies to every name not listed.'),
  })
  .describe('Rules for the repositories that match; the first entry that matches a repository is its rule.');
export type PolicyRepositories = z.infer<typeof PolicyRepositories>;

export const PlatformPolicy = z
  .strictObject({
    version: z.literal(1, 'expected version: 1'),
    repositories: z.array(PolicyRepositories),
    maxParallelBuilds: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_MAX_PARALLEL_BUILDS)
      .describe(
        `The most builds (plans and applies) one run has at once, for every repository; a pushgate.yml's \`parallelism\` may ask for fewer, never more (default ${DEFAULT_MAX_PARALLEL_BUILDS}). Set it at or under the account's CodeBuild quota of concurrent builds for the compute the builds use.`,
      ),
    slackUsers: z
      .record(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id (U…)'), NonEmpty)
      .default({})
      .describe(
        'Slack user id → GitHub login: who a Slack approval button is pressed by, for the approvers lists. Unlisted Slack users cannot approve.',
      ),
    awsPrincipals: z
      .record(
        z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:(?:user|role)\/[\w+=,.@/-]{1,512}$/,
            'expected an IAM user or role ARN (arn:aws:iam::<account>:user/<name> or :role/<name>)',
          ),
        NonEmpty,
      )
      .optional()
      .describe(
        'IAM user or role ARN → GitHub login: who a `pushgate approve|reject` caller is, for the approvers lists and self-approval. A role stands for all its sessions (the session name is chosen by the caller and never trusted). A caller neither listed here nor named by an ARN in the approvers cannot decide.',
      ),
  })
  .describe("pushgate platform policy (the stack operator's, never a repository's).");
export type PlatformPolicy = z.infer<typeof PlatformPolicy>;
