import { ACCOUNT, REGION, type TemplateResolver } from './cloudformation.ts';

/**
 * The reviewed manifest of what each function calls on AWS, and on what. package.test.ts holds it
 * to both sides:
 * - the code: every action a function's bundle can send (sdk-calls.ts) is listed here, as `calls`
 *   or as `notGranted`, and nothing is listed that the bundle no longer sends;
 * - the role: every call is allowed by the function's role in the packaged template, on exactly
 *   these resources, every `notGranted` action is denied, and the role allows nothing that no call
 *   here (or the Lambda runtime) needs.
 *
 * Resources are named the way the function finds them: through the environment the template gives
 * it (a parameter's name, the table, the bucket, the state machine), so a call listed here for a
 * setting the function is not given fails too.
 */

/** One API call: its IAM action, on each resource it addresses. */
export interface Call {
  action: string;
  resources: string[];
  /** Condition keys the request carries (IAM evaluates the role's conditions on them). */
  context?: Record<string, string | string[]>;
  /** A permission no command names but a call needs: the action of that call, and why. */
  for?: { action: string; why: string };
}

export interface FunctionPermissions {
  calls: Call[];
  /**
   * Actions the bundle reaches (through code shared with other functions) that this function never
   * sends, and why: its role must deny them.
   */
  notGranted: Record<string, string>;
}

/** What a function's environment points at, as ARNs. */
export class FunctionEnvironment {
  private readonly variables: Record<string, string>;

  constructor(
    private readonly cfn: TemplateResolver,
    readonly logicalId: string,
  ) {
    const properties = cfn.resolve(cfn.resource(logicalId).Properties) as {
      Environment?: { Variables?: Record<string, string> };
    };
    this.variables = properties.Environment?.Variables ?? {};
  }

  /** The value of an environment variable the function is given; a missing or empty one is an error. */
  value(name: string): string {
    const value = this.variables[name];
    if (!value) throw new Error(`${this.logicalId} is not given ${name}`);
    return value;
  }

  table(): string {
    return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${this.value('TABLE_NAME')}`;
  }

  index(name: string): string {
    return `${this.table()}/index/${name}`;
  }

  /** An object of the artifact bucket. */
  object(key: string): string {
    return `arn:aws:s3:::${this.value('ARTIFACT_BUCKET')}/${key}`;
  }

  bucket(): string {
    return `arn:aws:s3:::${this.value('ARTIFACT_BUCKET')}`;
  }

  /** An object of the buildspec bucket. */
  buildspec(key: string): string {
    return `arn:aws:s3:::${this.value('BUILDSPEC_BUCKET')}/${key}`;
  }

  parameter(variable: string): string {
    return `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${this.value(variable)}`;
  }

  /** A Secrets Manager secret by the name the variable holds (Secrets Manager appends -<6 characters>). */
  secret(variable: string): string {
    return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${this.value(variable)}-AbCdEf`;
  }

  stateMachine(): string {
    return this.value('STATE_MACHINE_ARN');
  }

  execution(name: string): string {
    const stateMachine = this.stateMachine().split(':stateMachine:')[1];
    return `arn:aws:states:${REGION}:${ACCOUNT}:execution:${stateMachine}:${name}`;
  }

  function(variable: string): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${this.value(variable)}`;
  }

  project(variable: string): string {
    return `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${this.value(variable)}`;
  }
}

const RUN = 'runs/01RUN/network/prod';

const calls = (actions: string[], resources: string[]): Call[] => actions.map((action) => ({ action, resources }));

/**
 * A table call on one partition (the `pk` it reads or writes), as IAM sees it: the
 * `dynamodb:LeadingKeys` condition key of GetItem, PutItem, UpdateItem and Query.
 */
const onPartition = (env: FunctionEnvironment, action: string, pk: string): Call => ({
  action,
  resources: [env.table()],
  context: { 'dynamodb:LeadingKeys': [pk] },
});

// Reasons shared by several functions.
const STORE = "the record store's method, shared by every function; not on this function's paths";
const NO_PLAN = 'the feedback module reads plan texts; this function shows none';
const SSM_ONLY =
  "its secret reader (runtime/aws-fetch/configured-secret-fetch.ts, like secrets.ts getConfiguredSecret) also reads Secrets Manager, but this function's secrets are the SSM parameters it is given";

/** A GitHub identity: the token parameter, or the GitHub App secret when githubAppSecret names one. */
const gitHub = (env: FunctionEnvironment): Call[] => [
  { action: 'ssm:GetParameter', resources: [env.parameter('GITHUB_TOKEN_PARAMETER')] },
  { action: 'secretsmanager:GetSecretValue', resources: [env.secret('GITHUB_APP_SECRET')] },
];

/** Slack: the bot token and the incoming webhook URL. */
const slack = (env: FunctionEnvironment): Call[] => [
  {
    action: 'ssm:GetParameter',
    resources: [env.parameter('SLACK_BOT_TOKEN_PARAMETER'), env.parameter('SLACK_WEBHOOK_URL_PARAMETER')],
  },
];

/** Plan texts shown in comments and messages; a missing one must read as 404, hence ListBucket. */
const planTexts = (env: FunctionEnvironment): Call[] => [
  { action: 's3:GetObject', resources: [env.object(`${RUN}/plan.txt`), env.object(`${RUN}/plan.json`)] },
  {
    action: 's3:ListBucket',
    resources: [env.bucket()],
    context: { 's3:prefix': `${RUN}/plan.txt` },
    for: { action: 's3:GetObject', why: 'without it S3 answers a missing key with 403, not 404 NoSuchKey' },
  },
];

const approvals = (env: FunctionEnvironment): Call[] => [
  ...calls(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [env.table()]),
  { action: 'dynamodb:Query', resources: [env.table(), env.index('gsi1')] },
  // The task token is the capability: these actions have no resource type.
  ...calls(['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']),
  ...gitHub(env),
  { action: 'ssm:GetParameter', resources: [env.parameter('POLICY_PARAMETER')] },
];

/** The lock handoff (functions/lib/locks/hand-over.ts) after a release: resume the next run, supersede older ones. */
const handOver: Call[] = calls(['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']);

/** Keyed by the function's name in serverless.yml. */
export const FUNCTION_PERMISSIONS: Record<string, (env: FunctionEnvironment) => FunctionPermissions> = {
  webhook: (env) => ({
    calls: [
      ...calls(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [env.table()]),
      { action: 'states:StartExecution', resources: [env.stateMachine()] },
      { action: 'states:DescribeExecution', resources: [env.execution('01RUN')] },
      { action: 'lambda:InvokeFunction', resources: [env.function('COMMANDS_FUNCTION_NAME')] },
      {
        action: 'ssm:GetParameter',
        resources: [env.parameter('WEBHOOK_SECRET_PARAMETER'), env.parameter('WEBHOOK_SECRET_PREVIOUS_PARAMETER')],
      },
    ],
    // Its calls go through the light client (runtime/aws-fetch), which the bundle reads out of the
    // AwsAction literals; the intake's store writes only, so no Query is reached.
    notGranted: {
      'secretsmanager:GetSecretValue': SSM_ONLY,
    },
  }),
  validate: (env) => ({
    calls: [
      ...calls(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [env.table()]),
      ...gitHub(env),
      ...slack(env),
      { action: 'ssm:GetParameter', resources: [env.parameter('POLICY_PARAMETER')] },
      // The run's targets in chunks, and their buildspecs (stage-run.ts): the state keeps references.
      {
        action: 's3:PutObject',
        resources: [env.object('runs/01RUN/chunks/w0-c0.json'), env.buildspec(`buildspecs/${'a'.repeat(64)}.yml`)],
      },
    ],
    notGranted: {
      'dynamodb:DeleteItem': STORE,
      's3:GetObject': `${NO_PLAN} (it runs before any plan), and run-objects.ts reads chunks: that is loadTargets'`,
    },
  }),
  loadTargets: (env) => ({
    calls: [{ action: 's3:GetObject', resources: [env.object('runs/01RUN/chunks/w0-c0.json')] }],
    notGranted: { 's3:PutObject': "run-objects.ts also writes chunks: that is validate's" },
  }),
  acquireLock: (env) => ({
    calls: [
      ...calls(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [env.table()],
      ),
      // Presigned PUT URLs for the plan build: they carry this role's permission.
      {
        action: 's3:PutObject',
        resources: [env.object(`${RUN}/plan.bin`), env.object(`${RUN}/plan.json`), env.object(`${RUN}/plan.txt`)],
      },
    ],
    notGranted: { 's3:GetObject': "artifact-links.ts also presigns downloads: that is prepareApply's" },
  }),
  summarize: (env) => ({
    calls: [
      ...calls(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [env.table()]),
      { action: 's3:GetObject', resources: [env.object(`${RUN}/plan.bin`), env.object(`${RUN}/plan.json`)] },
      {
        action: 's3:ListBucket',
        resources: [env.bucket()],
        context: { 's3:prefix': `${RUN}/plan.json` },
        for: { action: 's3:GetObject', why: 'without it S3 answers a missing key with 403, not 404 NoSuchKey' },
      },
    ],
    notGranted: { 'dynamodb:PutItem': STORE, 'dynamodb:DeleteItem': STORE, 'dynamodb:Query': STORE },
  }),
  requestApproval: (env) => ({
    calls: [
      ...calls(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [env.table()]),
      ...planTexts(env),
      ...gitHub(env),
      ...slack(env),
    ],
    notGranted: { 'dynamodb:PutItem': STORE, 'dynamodb:DeleteItem': STORE },
  }),
  prepareApply: (env) => ({
    calls: [
      ...calls(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [env.table()],
      ),
      // The presigned GET URL of the reviewed plan for the apply build.
      { action: 's3:GetObject', resources: [env.object(`${RUN}/plan.bin`)] },
      ...gitHub(env),
    ],
    notGranted: { 's3:PutObject': "artifact-links.ts also presigns uploads: that is acquireLock's" },
  }),
  releaseLock: (env) => ({
    calls: [
      ...calls(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [env.table()],
      ),
      ...handOver,
    ],
    notGranted: {},
  }),
  targetFailed: (env) => ({
    calls: [
      ...calls(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [env.table()],
      ),
      ...handOver,
    ],
    notGranted: {},
  }),
  record: (env) => ({
    calls: [
      ...calls(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [env.table()],
      ),
      ...handOver,
    ],
    notGranted: {},
  }),
  executionEnded: (env) => ({
    calls: [
      ...calls(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        [env.table()],
      ),
      // CodeBuild authorizes build actions on the project.
      ...calls(
        ['codebuild:ListBuildsForProject', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
        [env.project('APPLY_PROJECT_NAME')],
      ),
      ...handOver,
    ],
    notGranted: {},
  }),
  waitForLock: (env) => ({
    // Parks its ticket, then hands the lock over if it is free (possibly to itself).
    calls: [...calls(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], [env.table()]), ...handOver],
    notGranted: { 'dynamodb:GetItem': STORE, 'dynamodb:PutItem': STORE },
  }),
  lockSweep: (env) => ({
    // Every parked run (gsi1 LOCKWAITS) gets a heartbeat, then the handoff on each lock's partition.
    calls: [
      ...calls(['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [env.table()]),
      { action: 'dynamodb:Query', resources: [env.table(), env.index('gsi1')] },
      ...handOver,
      { action: 'states:SendTaskHeartbeat', resources: ['*'] },
    ],
    notGranted: { 'dynamodb:GetItem': STORE, 'dynamodb:PutItem': STORE },
  }),
  notify: (env) => ({
    calls: [
      ...calls(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [env.table()]),
      ...planTexts(env),
      ...gitHub(env),
      ...slack(env),
    ],
    notGranted: { 'dynamodb:PutItem': STORE, 'dynamodb:DeleteItem': STORE },
  }),
  approve: (env) => ({
    calls: approvals(env),
    notGranted: { 'dynamodb:PutItem': STORE, 'dynamodb:DeleteItem': STORE },
  }),
  rollback: (env) => ({
    calls: [
      // The run it records (createRun; a failed start marks it failed) and the deployments it reads.
      ...calls(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [env.table()]),
      { action: 'states:StartExecution', resources: [env.stateMachine()] },
      { action: 'states:DescribeExecution', resources: [env.execution('01RUN')] },
      ...gitHub(env),
      { action: 'ssm:GetParameter', resources: [env.parameter('POLICY_PARAMETER')] },
    ],
    notGranted: { 'dynamodb:DeleteItem': STORE },
  }),
  driftCheck: (env) => ({
    calls: [
      // The registry of deployed environments (and its last-check time), what each runs now, and
      // the drift runs it records (a run, its place in the repository's list; a failed start marks
      // it failed, read back when the status condition fails): on those partitions only.
      onPartition(env, 'dynamodb:Query', 'DEPLOYED'),
      onPartition(env, 'dynamodb:Query', 'CURRENT#octocat/infra#prod'),
      onPartition(env, 'dynamodb:UpdateItem', 'DEPLOYED'),
      onPartition(env, 'dynamodb:PutItem', 'RUN#01RUN'),
      onPartition(env, 'dynamodb:PutItem', 'RUNS#octocat/infra'),
      onPartition(env, 'dynamodb:UpdateItem', 'RUN#01RUN'),
      onPartition(env, 'dynamodb:GetItem', 'RUN#01RUN'),
      { action: 'states:StartExecution', resources: [env.stateMachine()] },
      { action: 'states:DescribeExecution', resources: [env.execution('01RUN')] },
      ...gitHub(env),
    ],
    notGranted: { 'dynamodb:DeleteItem': STORE },
  }),
  commands: (env) => ({
    // `/pushgate unlock` writes an unlock record, then hands the lock over (dropping gone runs' tickets).
    calls: [
      ...approvals(env),
      { action: 'dynamodb:PutItem', resources: [env.table()] },
      { action: 'dynamodb:DeleteItem', resources: [env.table()] },
    ],
    notGranted: {},
  }),
  slackActions: (env) => ({
    calls: [
      ...approvals(env),
      { action: 'ssm:GetParameter', resources: [env.parameter('SLACK_SIGNING_SECRET_PARAMETER')] },
    ],
    notGranted: { 'dynamodb:PutItem': STORE, 'dynamodb:DeleteItem': STORE },
  }),
};
