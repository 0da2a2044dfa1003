// @ts-check
// The deploy settings of serverless.yml (custom:), their schema, and the check `osls package` and
// `osls deploy` run before anything is bundled or deployed (infra/settings-plugin.cjs). CommonJS
// because osls loads it with require(), both as a plugin and as a `${file(…)}` variable source.
// Every setting is a parameter: `--param="name=value"` on the command line, or `params:` per stage
// in serverless.yml. The webhook checks ALLOWED_REPOS again at cold start
// (functions/webhook/config.ts); the pattern here is the same one.
'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: osls loads this file with require() */

const z = require('zod');

/** `owner/name` or `owner/*`, as functions/webhook/config.ts and is-allowed-repo.ts accept them. */
const REPO_PATTERN = /^[A-Za-z0-9_.-]+\/(?:[A-Za-z0-9_.-]+|\*)$/;
/** A GitHub user or organisation login. */
const OWNER_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
/**
 * An IAM role ARN of one account; `*` and `?` allowed in the name after a literal prefix of at least
 * three characters (`deploy-*`), so that a wildcard never reaches another account's roles or every role.
 */
const ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@\-/*?]+$/;
const ROLE_NAME_PREFIX = /:role\/[\w+=,.@\-/]{3,}/;
/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html */
const TABLE_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;
/** A CloudFormation stack name, with `*` and `?` wildcards. */
const STACK_PATTERN = /^[A-Za-z*?][A-Za-z0-9*?-]{0,127}$/;
/** A Secrets Manager secret name under pushgate/, the prefix PushgateProtectPolicy denies deploy roles. */
const SECRET_NAME_PATTERN = /^pushgate\/[A-Za-z0-9/_+=.@-]{1,500}$/;

/**
 * An EventBridge rate expression (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#rate-based):
 * `rate(1 minute)`, `rate(15 minutes)`, `rate(1 hour)`, … as osls's schedule event accepts it.
 */
const RATE_PATTERN = /^rate\((?:1 (?:minute|hour|day)|(?:[2-9]|[1-9]\d+) (?:minutes|hours|days))\)$/;

/** `a,b` → ['a', 'b'] (spaces around items ignored, empty items dropped). */
const list = (value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Each setting: what it is, whether a deploy needs it, and an example to show in a message. The
 * README's table of settings is this list.
 */
const SETTINGS = {
  allowedRepos: {
    required: true,
    description:
      'the repositories whose webhooks start runs: comma-separated owner/name or owner/* (every repository of an owner)',
    example: 'acme/infra,acme/apps',
  },
  sourceOwner: {
    required: false,
    description:
      'the GitHub owner whose repositories CodeBuild clones; default: the one owner of allowedRepos (required when allowedRepos names several)',
    example: 'acme',
  },
  applyRoleArns: {
    required: true,
    description:
      'the roles apply builds may assume: comma-separated IAM role ARNs, wildcards allowed in the name (arn:aws:iam::111111111111:role/deploy-*)',
    example: 'arn:aws:iam::111111111111:role/deploy-staging,arn:aws:iam::222222222222:role/deploy-prod',
  },
  planRoleArns: {
    required: false,
    description: 'the roles plan builds may assume (same syntax); empty: plans run as the read-only plan runner',
    example: 'arn:aws:iam::222222222222:role/plan-prod',
  },
  stateBucket: {
    required: false,
    description: 'the Terraform state bucket the default plan role may read; empty: no object is readable',
    example: 'acme-terraform-state',
  },
  stateLockTable: {
    required: false,
    description: 'the Terraform lock table the default plan role may use; empty: no item is readable',
    example: 'terraform-locks',
  },
  changeSetStackPattern: {
    required: false,
    description: 'the stacks the default plan role may create change sets for (wildcards); default: <sourceOwner>-*',
    example: 'acme-*',
  },
  slackChannels: {
    required: false,
    description:
      'Slack channel ids per environment for the bot\'s messages (JSON, "default" for the rest); empty ids: no bot messages',
    example: '{"default":"C0123456789","prod":"C0987654321"}',
  },
  githubAppSecret: {
    required: false,
    description:
      'a GitHub App instead of a token: the Secrets Manager secret holding {"appId":…,"privateKey":"-----BEGIN …"}; empty: the token in SSM',
    example: 'pushgate/prod/github-app',
  },
  driftTick: {
    required: false,
    description:
      "how often EventBridge Scheduler invokes the drift function, which starts the checks whose environment's drift.schedule is due; default rate(15 minutes)",
    example: 'rate(15 minutes)',
  },
};

const repoList = z
  .string()
  .transform(list)
  .pipe(
    z
      .array(z.string().regex(REPO_PATTERN, 'expected owner/name or owner/*'))
      .min(1, 'list at least one owner/name or owner/*'),
  );

const roleArnList = z
  .string()
  .transform(list)
  .pipe(
    z.array(
      z
        .string()
        .regex(ROLE_ARN_PATTERN, 'expected IAM role ARNs such as arn:aws:iam::111111111111:role/deploy-prod')
        .refine(
          (arn) => ROLE_NAME_PREFIX.test(arn),
          'a wildcard this early in the role name lets builds assume (nearly) any role of the account: start the name with a prefix of at least three characters, such as deploy-*',
        ),
    ),
  );

const optional = (pattern, message) => z.union([z.literal(''), z.string().regex(pattern, message)]);

const slackChannels = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .record(
        z.string().min(1),
        z.union([
          z.literal(''),
          z.string().regex(/^[CDG][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123456789'),
        ]),
        { error: 'expected an object of environment → channel id' },
      )
      .refine((channels) => 'default' in channels, 'needs a "default" channel ("" for none)'),
  );

/** The settings as serverless.yml's custom: block has them resolved (strings, '' when not given). */
const Settings = z
  .object({
    allowedRepos: repoList,
    sourceOwner: optional(OWNER_PATTERN, 'expected a GitHub owner (user or organisation login)'),
    applyRoleArns: roleArnList.pipe(z.array(z.string()).min(1, 'list at least one role ARN')),
    planRoleArns: roleArnList,
    stateBucket: optional(BUCKET_PATTERN, 'expected an S3 bucket name'),
    stateLockTable: optional(TABLE_PATTERN, 'expected a DynamoDB table name'),
    changeSetStackPattern: z
      .string()
      .regex(STACK_PATTERN, 'expected a stack name with * or ? wildcards, such as acme-*')
      .refine(
        // A prefix, not a fragment: `*acme*` would match other teams' stacks that mention acme.
        (pattern) => /^[A-Za-z][A-Za-z0-9-]{2,}/.test(pattern),
        'matches (nearly) every stack: name a prefix such as acme-*',
      ),
    slackChannels,
    githubAppSecret: optional(
      SECRET_NAME_PATTERN,
      'expected a Secrets Manager secret name under pushgate/ (the prefix PushgateProtectPolicy denies deploy roles)',
    ),
    // '' only when a caller leaves it out: serverless.yml's default is rate(15 minutes).
    driftTick: optional(RATE_PATTERN, 'expected a rate expression such as rate(15 minutes) or rate(1 hour)'),
  })
  .superRefine((settings, ctx) => {
    if (settings.sourceOwner !== '') return;
    const owners = ownersOf(settings.allowedRepos);
    if (owners.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['sourceOwner'],
        message: `required: allowedRepos names several owners (${owners.join(', ')}); name the one CodeBuild clones from`,
      });
    }
  });

/** The distinct owners of a list of owner/name patterns, in order, spelled as first given. */
function ownersOf(repos) {
  const owners = new Map();
  for (const repo of repos) {
    if (!REPO_PATTERN.test(repo)) continue;
    const owner = repo.split('/')[0];
    if (owner && !owners.has(owner.toLowerCase())) owners.set(owner.toLowerCase(), owner);
  }
  return [...owners.values()];
}

/**
 * serverless.yml's defaults for values given as '': sourceOwner from allowedRepos when it names one
 * owner, changeSetStackPattern `<sourceOwner>-*`.
 */
function withDefaults(raw) {
  const owners = ownersOf(list(raw.allowedRepos ?? ''));
  const sourceOwner = raw.sourceOwner || (owners.length === 1 ? owners[0] : '');
  const pattern = raw.changeSetStackPattern;
  return {
    ...raw,
    sourceOwner,
    changeSetStackPattern: pattern === '' || pattern === '-*' ? `${sourceOwner}-*` : pattern,
  };
}

/** The value a setting was given, read from serverless.yml's resolved custom: block. */
function rawSettings(custom) {
  return Object.fromEntries(
    Object.keys(SETTINGS).map((name) => {
      const value = custom?.[name];
      return [
        name,
        value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value),
      ];
    }),
  );
}

class InvalidSettingsError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'InvalidSettingsError';
  }
}

/**
 * Checks the settings; returns them parsed, or throws InvalidSettingsError whose message names every
 * setting that is missing or invalid and how to give it.
 */
function checkSettings(raw, stage = 'dev') {
  const result = Settings.safeParse(withDefaults(raw));
  if (result.success) return result.data;
  const lines = [];
  const seen = new Set();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (seen.has(name)) continue;
    // The default `<sourceOwner>-*` without a sourceOwner: sourceOwner's own issue says what to do.
    if (name === 'changeSetStackPattern' && withDefaults(raw).changeSetStackPattern === '-*') continue;
    seen.add(name);
    const setting = SETTINGS[name];
    const given = raw[name];
    const index = issue.path[1];
    const item = typeof index === 'number' ? ` (got "${list(given ?? '')[index]}")` : '';
    const what = given === '' && setting?.required ? 'missing' : `${issue.message}${item}`;
    lines.push(`  ${name}: ${what}`);
    if (setting) {
      lines.push(`    ${setting.description}`);
      lines.push(`    give it with ${paramFlag(name, setting.example)}`);
    }
  }
  return fail(lines, stage);
}

function fail(lines, stage) {
  throw new InvalidSettingsError(
    [
      `pushgate settings for stage ${stage} are missing or invalid; nothing was packaged or deployed:`,
      ...lines,
      `Settings are osls parameters: --param="name=value" on the command line, or a stage's params: in serverless.yml.`,
      'Every setting: README.md, "Deploy to AWS".',
    ].join('\n'),
  );
}

/** `--param="name=value"`, single-quoted when the value has double quotes (JSON). */
function paramFlag(name, value) {
  return value.includes('"') ? `--param='${name}=${value}'` : `--param="${name}=${value}"`;
}

/**
 * A `${file(./infra/settings.cjs):defaultSourceOwner}` variable: the one owner allowedRepos names,
 * else '' (the check then asks for sourceOwner). Never throws, so `osls remove` and `osls info`
 * still work without settings.
 */
async function defaultSourceOwner({ resolveConfigurationProperty }) {
  const allowed = await resolveConfigurationProperty(['custom', 'allowedRepos']);
  if (typeof allowed !== 'string') return '';
  const owners = ownersOf(list(allowed).filter((repo) => REPO_PATTERN.test(repo)));
  return owners.length === 1 ? owners[0] : '';
}

module.exports = {
  SETTINGS,
  Settings,
  REPO_PATTERN,
  SECRET_NAME_PATTERN,
  InvalidSettingsError,
  checkSettings,
  rawSettings,
  defaultSourceOwner,
};
