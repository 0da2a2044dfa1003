import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, TemplateResolver, type Template } from './cloudformation.ts';
import { FUNCTION_PERMISSIONS, FunctionEnvironment, type Call } from './function-permissions.ts';
import { decide, decideFor, managedPolicy, rolePolicies, type Decision, type Request } from './iam.ts';
import { observabilityChecks } from './observability-checks.ts';
import { sdkCalls } from './sdk-calls.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'pushgate-package-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const APPLY_ROLES = ['arn:aws:iam::111111111111:role/deploy-staging', 'arn:aws:iam::222222222222:role/deploy-prod'];
const PLAN_ROLE = 'arn:aws:iam::222222222222:role/plan-prod';
const STATE_BUCKET = 'acme-terraform-state';
const LOCK_TABLE = 'terraform-locks';
const GITHUB_APP_SECRET = 'pushgate/dev/github-app';

// `npm run package` is `osls package`: offline, no AWS credentials (empty ones, so that nothing
// waits on the credential chain). It validates the state machine (stepFunctions.validate) and
// bundles every function with esbuild.
function osls(args: string[], directory: string) {
  return promisify(execFile)('npx', ['osls', 'package', '--package', directory, ...args], {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', SLS_TELEMETRY_DISABLED: '1' },
    maxBuffer: 10 * 1024 * 1024,
  });
}

// Packaging takes most of a minute: once, for every test of this file.
const packaged = osls(
  [
    `--param=applyRoleArns=${APPLY_ROLES.join(',')}`,
    `--param=planRoleArns=${PLAN_ROLE}`,
    `--param=stateBucket=${STATE_BUCKET}`,
    `--param=stateLockTable=${LOCK_TABLE}`,
    // Named, so that the GitHub App secret's permissions are checked on the name a deploy gives.
    `--param=githubAppSecret=${GITHUB_APP_SECRET}`,
    '--param=allowedRepos=octocat/infra',
  ],
  out,
).then(({ stdout, stderr }) => ({
  output: `${stdout}${stderr}`,
  template: JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template,
}));
// A rejection is reported by the tests that await it.
packaged.catch(() => undefined);

let template: Template;
let cfn: TemplateResolver;
beforeAll(async () => {
  ({ template } = await packaged);
  cfn = new TemplateResolver(template);
}, 180_000);

describe('osls package', () => {
  it('packages every function and the deploy state machine', async () => {
    const { output } = await packaged;
    expect(output).toContain('State machine "deploy" definition is valid');
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const handlers = readdirSync(join(root, 'functions'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'lib')
      .map((entry) => entry.name);
    expect(functions).toHaveLength(handlers.length);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    // Least privilege: every function has a role of its own, and no statement allows every action.
    const roles = new Set(functions.map((fn) => JSON.stringify(fn.Properties.Role)));
    expect(roles.size).toBe(functions.length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Role') continue;
      const actions = JSON.stringify(resource.Properties.Policies ?? []);
      expect(actions, id).not.toMatch(/"Action":\["?\*"?\]|"Action":"\*"/);
    }
    // Plan and apply are two projects with two roles; only the webhook, the rollback function
    // (`pushgate rollback`, which proves its caller) and the drift function (drift runs, which
    // Validate accepts only as recorded, at the deployed commit) may start executions.
    expect(template.Resources.PlanProject?.Properties.ServiceRole).not.toEqual(
      template.Resources.ApplyProject?.Properties.ServiceRole,
    );
    const startsExecutions = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties).includes('states:StartExecution'))
      .map(([id]) => id);
    expect(startsExecutions.sort()).toEqual([
      // RunTargets: the run's chunks of targets, as child executions of the targets state machine only.
      'DeployStateMachineRole',
      'DriftCheckFunctionRole',
      'RollbackFunctionRole',
      'WebhookFunctionRole',
    ]);
    const childStarts = rolePolicies(cfn, 'DeployStateMachineRole')
      .flatMap(
        (policy) => (policy.policy as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      )
      .filter((statement) => [statement.Action].flat().includes('states:StartExecution'));
    expect(childStarts.map((statement) => statement.Resource)).toEqual([[cfn.ref('TargetsStateMachine')]]);
    // A pull request's plan build runs its own code: its role may not read pushgate's secrets,
    // records, executions or other runs' artifacts (explicit denies beat ReadOnlyAccess). The
    // denies are its own and those of the PushgateProtectPolicy attached to it.
    const planDenies = JSON.stringify(
      rolePolicies(cfn, 'PlanBuildRole')
        .flatMap((policy) => (policy.policy as { Statement: { Effect: string }[] }).Statement)
        .filter((statement) => statement.Effect === 'Deny'),
    );
    for (const action of ['ssm:*', 'ssm:GetParameter*', 'secretsmanager:*', 'dynamodb:*', 's3:*', 'states:*']) {
      expect(planDenies, action).toContain(`"${action}"`);
    }
    expect(template.Resources.DeployStateMachine?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(template.Resources.PushgateTable?.Type).toBe('AWS::DynamoDB::Table');
    // One bundle per function, not one zip of everything.
    expect(readdirSync(out).filter((file) => file.endsWith('.zip')).length).toBe(handlers.length);
  });

  it('refuses to package without applyRoleArns, and says so', { timeout: 120_000 }, async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'pushgate-package-'));
    try {
      const failure = await osls(['--param=allowedRepos=octocat/infra'], elsewhere).then(
        () => undefined,
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
      expect(failure, 'osls package succeeded without applyRoleArns').toBeDefined();
      expect(failure).toMatch(/applyRoleArns: missing/);
      expect(failure).toContain('--param="applyRoleArns=');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

/** Requests no build may make, whatever role it holds (PushgateProtectPolicy). */
function forbidden(): Request[] {
  const table = cfn.getAtt('PushgateTable', 'Arn');
  const bucket = cfn.getAtt('ArtifactBucket', 'Arn');
  const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
  return [
    { action: 'dynamodb:GetItem', resource: table },
    { action: 'dynamodb:PutItem', resource: table },
    { action: 'dynamodb:Query', resource: `${table}/index/gsi1` },
    { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/github-token') },
    { action: 'ssm:PutParameter', resource: parameter('/pushgate/dev/policy') },
    // (The recursive read of / is denied too, but the simulator takes no ARN for the path /.)
    { action: 'ssm:GetParametersByPath', resource: parameter('/pushgate'), context: { 'ssm:Recursive': 'true' } },
    {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:pushgate/x-AbCdEf`,
    },
    { action: 'states:SendTaskSuccess', resource: '*' },
    { action: 'states:SendTaskFailure', resource: '*' },
    { action: 'states:StartExecution', resource: cfn.ref('DeployStateMachine') },
    { action: 'states:StartExecution', resource: cfn.ref('TargetsStateMachine') },
    {
      action: 'states:GetExecutionHistory',
      resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:pushgate-dev-targets:run1-w0-c0`,
    },
    // The buildspecs: CodeBuild reads a build's own with the runner's role; nothing more.
    { action: 's3:PutObject', resource: `${cfn.getAtt('BuildspecBucket', 'Arn')}/buildspecs/${'a'.repeat(64)}.yml` },
    { action: 's3:DeleteObject', resource: `${cfn.getAtt('BuildspecBucket', 'Arn')}/buildspecs/${'a'.repeat(64)}.yml` },
    { action: 's3:ListBucket', resource: cfn.getAtt('BuildspecBucket', 'Arn') },
    { action: 's3:PutBucketPolicy', resource: cfn.getAtt('BuildspecBucket', 'Arn') },
    { action: 's3:GetObject', resource: `${bucket}/runs/01RUN/chunks/w0-c0.json` },
    {
      action: 'states:GetExecutionHistory',
      resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:pushgate-dev-deploy:run1`,
    },
    {
      action: 'lambda:UpdateFunctionCode',
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-validate`,
    },
    {
      action: 'lambda:GetFunctionConfiguration',
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-webhook`,
    },
    { action: 's3:GetObject', resource: `${bucket}/runs/01RUN/network/prod/plan.bin` },
    { action: 's3:PutObject', resource: `${bucket}/runs/01RUN/network/prod/plan.bin` },
    { action: 's3:ListBucket', resource: bucket },
    // The functions' code packages, deployed again by the next `osls deploy`.
    {
      action: 's3:PutObject',
      resource: `${cfn.getAtt('ServerlessDeploymentBucket', 'Arn')}/serverless/pushgate/dev/x.zip`,
    },
    {
      action: 'logs:GetLogEvents',
      resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/pushgate-dev-plan:log-stream:x`,
    },
    {
      action: 'codebuild:UpdateProject',
      resource: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/pushgate-dev-apply`,
    },
    { action: 'codebuild:StartBuild', resource: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/pushgate-dev-plan` },
    { action: 'iam:PutRolePolicy', resource: cfn.getAtt('WebhookFunctionRole', 'Arn') },
    { action: 'iam:CreatePolicyVersion', resource: cfn.ref('PushgateProtectPolicy') },
    {
      action: 'cloudformation:UpdateStack',
      resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/pushgate-dev/abc`,
    },
    { action: 'events:DisableRule', resource: `arn:aws:events:${REGION}:${ACCOUNT}:rule/pushgate-dev-execution-ended` },
  ];
}

/** A role of applyRoleArns or planRoleArns, trusting `runner` as the operator is told to. */
function assumable(roleArn: string, runner: string): Request {
  return {
    action: 'sts:AssumeRole',
    resource: roleArn,
    resourceAccount: roleArn.split(':')[4]!,
    resourcePolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: runner }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    },
  };
}

async function decisions(roleId: string, requests: Request[], resolver = cfn): Promise<Record<string, Decision>> {
  const result: Record<string, Decision> = {};
  for (const request of requests) {
    result[`${request.action} ${request.resource}`] = await decide(resolver, roleId, request);
  }
  return result;
}

function all(requests: Request[], decision: Decision): Record<string, Decision> {
  return Object.fromEntries(requests.map((request) => [`${request.action} ${request.resource}`, decision]));
}

describe('build runner roles', () => {
  it('no role or policy grants PowerUserAccess or AdministratorAccess', async () => {
    const { template } = await packaged;
    expect(JSON.stringify(template)).not.toMatch(/PowerUserAccess|AdministratorAccess/);
  });

  it.each(['ApplyBuildRole', 'PlanBuildRole'])('%s is explicitly denied everything of pushgate', async (role) => {
    const requests = forbidden();
    expect(await decisions(role, requests)).toEqual(all(requests, 'ExplicitlyDenied'));
    expect(await decide(cfn, role, { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/x` })).toBe(
      'ExplicitlyDenied',
    );
  });

  it('the apply runner assumes exactly the roles of applyRoleArns, and does nothing else itself', async () => {
    const runner = cfn.getAtt('ApplyBuildRole', 'Arn');
    const statement = rolePolicies(cfn, 'ApplyBuildRole')
      .flatMap((policy) => (policy.policy as { Statement: { Action: string[]; Resource: unknown }[] }).Statement)
      .find((s) => s.Action.includes('sts:AssumeRole'));
    expect(statement?.Action).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(statement?.Resource).toEqual(APPLY_ROLES);
    for (const role of APPLY_ROLES) {
      expect(await decide(cfn, 'ApplyBuildRole', assumable(role, runner)), role).toBe('Allowed');
      expect(await decide(cfn, 'ApplyBuildRole', { ...assumable(role, runner), action: 'sts:TagSession' })).toBe(
        'Allowed',
      );
    }
    for (const role of ['arn:aws:iam::111111111111:role/admin', PLAN_ROLE]) {
      expect(await decide(cfn, 'ApplyBuildRole', assumable(role, runner)), role).toBe('ImplicitlyDenied');
    }
    // Without a deploy role an apply build can change, or even read, nothing.
    for (const request of [
      { action: 'ec2:DescribeInstances', resource: '*' },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::some-bucket/key' },
      { action: 'cloudformation:ExecuteChangeSet', resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/x/y` },
    ]) {
      expect(await decide(cfn, 'ApplyBuildRole', request), request.action).not.toBe('Allowed');
    }
    const apply = cfn.resolve(template.Resources.ApplyBuildRole!.Properties) as { ManagedPolicyArns: string[] };
    expect(apply.ManagedPolicyArns).toEqual([cfn.ref('PushgateProtectPolicy')]);
  });

  it.each(['ApplyBuildRole', 'PlanBuildRole'])(
    '%s reads the buildspecs (CodeBuild fetches a BuildspecOverride with it), and only them',
    async (role) => {
      const buildspecs = cfn.getAtt('BuildspecBucket', 'Arn');
      expect(
        await decide(cfn, role, { action: 's3:GetObject', resource: `${buildspecs}/buildspecs/${'b'.repeat(64)}.yml` }),
      ).toBe('Allowed');
      expect(await decide(cfn, role, { action: 's3:GetObject', resource: `${buildspecs}/elsewhere.yml` })).not.toBe(
        'Allowed',
      );
    },
  );

  it('the plan runner assumes exactly the roles of planRoleArns', async () => {
    const runner = cfn.getAtt('PlanBuildRole', 'Arn');
    expect(await decide(cfn, 'PlanBuildRole', assumable(PLAN_ROLE, runner))).toBe('Allowed');
    for (const role of APPLY_ROLES) {
      expect(await decide(cfn, 'PlanBuildRole', assumable(role, runner)), role).toBe('ImplicitlyDenied');
    }
  });

  it('the default plan role reads the account but not its data', async () => {
    const stack = (name: string) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0a1b2c3d`;
    const expected: [Request, Decision][] = [
      [{ action: 'ec2:DescribeInstances', resource: '*' }, 'Allowed'],
      [{ action: 'iam:GetRole', resource: `arn:aws:iam::${ACCOUNT}:role/app` }, 'Allowed'],
      [{ action: 's3:GetBucketPolicy', resource: 'arn:aws:s3:::some-bucket' }, 'Allowed'],
      // Terraform state and its locks.
      [{ action: 's3:GetObject', resource: `arn:aws:s3:::${STATE_BUCKET}/network/prod.tfstate` }, 'Allowed'],
      [{ action: 's3:PutObject', resource: `arn:aws:s3:::${STATE_BUCKET}/network/prod.tfstate.tflock` }, 'Allowed'],
      [{ action: 's3:DeleteObject', resource: `arn:aws:s3:::${STATE_BUCKET}/network/prod.tfstate.tflock` }, 'Allowed'],
      [{ action: 's3:PutObject', resource: `arn:aws:s3:::${STATE_BUCKET}/network/prod.tfstate` }, 'ImplicitlyDenied'],
      [
        { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${LOCK_TABLE}` },
        'Allowed',
      ],
      [
        { action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${LOCK_TABLE}` },
        'Allowed',
      ],
      [
        { action: 'dynamodb:DeleteItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${LOCK_TABLE}` },
        'Allowed',
      ],
      // Data.
      [{ action: 's3:GetObject', resource: 'arn:aws:s3:::some-bucket/customers.csv' }, 'ExplicitlyDenied'],
      [
        { action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` },
        'ExplicitlyDenied',
      ],
      [{ action: 'dynamodb:Scan', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` }, 'ExplicitlyDenied'],
      [
        { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/db-password` },
        'ExplicitlyDenied',
      ],
      [
        {
          action: 'ssm:GetParameter',
          resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64`,
        },
        'Allowed',
      ],
      [
        {
          action: 'secretsmanager:GetSecretValue',
          resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/db-AbCdEf`,
        },
        'ExplicitlyDenied',
      ],
      [
        {
          action: 'kms:Decrypt',
          resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        },
        'ExplicitlyDenied',
      ],
      [
        { action: 'lambda:GetFunction', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders` },
        'ExplicitlyDenied',
      ],
      [{ action: 'lambda:ListFunctions', resource: '*' }, 'ExplicitlyDenied'],
      [
        { action: 'logs:FilterLogEvents', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/app` },
        'ExplicitlyDenied',
      ],
      [
        { action: 'kinesis:GetRecords', resource: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/orders` },
        'ExplicitlyDenied',
      ],
      [
        {
          action: 's3express:CreateSession',
          resource: `arn:aws:s3express:${REGION}:${ACCOUNT}:bucket/data--use1-az4--x-s3`,
        },
        'ExplicitlyDenied',
      ],
      // Change sets only for stacks named like pushgate's default names (changeSetStackPattern).
      [{ action: 'cloudformation:CreateChangeSet', resource: stack('octocat-infra-network-prod') }, 'Allowed'],
      [{ action: 'cloudformation:CreateChangeSet', resource: stack('payments-prod') }, 'ExplicitlyDenied'],
      [
        { action: 'cloudformation:ExecuteChangeSet', resource: stack('octocat-infra-network-prod') },
        'ImplicitlyDenied',
      ],
      // No IAM writes.
      [{ action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/app` }, 'ExplicitlyDenied'],
      [{ action: 'iam:AttachRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/app` }, 'ExplicitlyDenied'],
      [{ action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/someone` }, 'ExplicitlyDenied'],
      [{ action: 'iam:UpdateAssumeRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/app` }, 'ExplicitlyDenied'],
    ];
    const requests = expected.map(([request]) => request);
    expect(await decisions('PlanBuildRole', requests)).toEqual(
      Object.fromEntries(expected.map(([request, decision]) => [`${request.action} ${request.resource}`, decision])),
    );
    // The simulator cannot set an encryption context key, so the S3-only exception for a state
    // encrypted with SSE-KMS is read from the policy instead.
    const kms = JSON.stringify(rolePolicies(cfn, 'PlanBuildRole'));
    expect(kms).toContain(
      `"kms:EncryptionContext:aws:s3:arn":["arn:aws:s3:::${STATE_BUCKET}","arn:aws:s3:::${STATE_BUCKET}/*"]`,
    );
  });

  it('without stateBucket, stateLockTable and planRoleArns, the plan role reads no state and assumes nothing', async () => {
    // The conditions follow the parameters…
    for (const [condition, value] of [
      ['HasPlanRoleArns', PLAN_ROLE],
      ['HasStateBucket', STATE_BUCKET],
      ['HasStateLockTable', LOCK_TABLE],
    ] as const) {
      expect(cfn.condition(condition), condition).toBe(true);
      expect(template.Conditions?.[condition]).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [value, ''] }] });
    }
    // …and their other branch is still a valid policy that denies the state.
    const without = new TemplateResolver(template, {
      conditions: { HasPlanRoleArns: false, HasStateBucket: false, HasStateLockTable: false },
    });
    for (const policy of rolePolicies(without, 'PlanBuildRole')) {
      const statements = (policy.policy as { Statement: Record<string, unknown>[] }).Statement;
      expect(statements.length, policy.name).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(JSON.stringify(statement)).not.toContain(STATE_BUCKET);
        expect(JSON.stringify(statement)).not.toContain(LOCK_TABLE);
        expect(Boolean(statement.Resource) !== Boolean(statement.NotResource), JSON.stringify(statement)).toBe(true);
      }
    }
    const runner = without.getAtt('PlanBuildRole', 'Arn');
    const expected: [Request, Decision][] = [
      [{ action: 's3:GetObject', resource: `arn:aws:s3:::${STATE_BUCKET}/network/prod.tfstate` }, 'ExplicitlyDenied'],
      [
        { action: 's3:PutObject', resource: `arn:aws:s3:::${STATE_BUCKET}/network/prod.tfstate.tflock` },
        'ImplicitlyDenied',
      ],
      [
        { action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${LOCK_TABLE}` },
        'ExplicitlyDenied',
      ],
      [
        { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${LOCK_TABLE}` },
        'ImplicitlyDenied',
      ],
      [assumable(PLAN_ROLE, runner), 'ImplicitlyDenied'],
      [{ action: 'ec2:DescribeInstances', resource: '*' }, 'Allowed'],
    ];
    expect(
      await decisions(
        'PlanBuildRole',
        expected.map(([request]) => request),
        without,
      ),
    ).toEqual(
      Object.fromEntries(expected.map(([request, decision]) => [`${request.action} ${request.resource}`, decision])),
    );
  });

  it('policies fit IAM size limits', async () => {
    const size = (policy: unknown) => JSON.stringify(policy).replace(/\s/g, '').length;
    // Managed policy documents: 6,144 characters; a role's inline policies together: 10,240.
    expect(size(managedPolicy(cfn, cfn.ref('PushgateProtectPolicy')))).toBeLessThanOrEqual(6144);
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Role') continue;
      const inline = (cfn.resolve(resource.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map(
        (policy) => policy.PolicyDocument,
      );
      expect(
        inline.map(size).reduce((a, b) => a + b, 0),
        id,
      ).toBeLessThanOrEqual(10240);
    }
  });
});

describe('PushgateProtectPolicy', () => {
  it('is an output, and denies a deploy role that may do anything else only what is pushgate', async () => {
    expect(cfn.resolve(template.Outputs?.PushgateProtectPolicyArn?.Value)).toBe(
      `arn:aws:iam::${ACCOUNT}:policy/pushgate-dev-protect`,
    );
    const deployRole = `arn:aws:iam::${ACCOUNT}:role/deploy-prod`;
    const policies = [
      {
        name: 'admin',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
      { name: 'protect', policy: managedPolicy(cfn, cfn.ref('PushgateProtectPolicy')) },
    ];
    for (const request of forbidden()) {
      expect(await decideFor(deployRole, policies, request), `${request.action} ${request.resource}`).toBe(
        'ExplicitlyDenied',
      );
    }
    // A recursive read of / would return /pushgate/* (the simulator takes no ARN for the path /).
    expect((managedPolicy(cfn, cfn.ref('PushgateProtectPolicy')) as { Statement: unknown[] }).Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: ['ssm:GetParametersByPath'],
        Resource: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/`],
        Condition: { StringEquals: { 'ssm:Recursive': 'true' } },
      }),
    );
    // It may not take the policy off itself…
    expect(
      await decideFor(deployRole, policies, {
        action: 'iam:DetachRolePolicy',
        resource: deployRole,
        context: { 'iam:PolicyARN': cfn.ref('PushgateProtectPolicy') },
      }),
    ).toBe('ExplicitlyDenied');
    // …but it still manages the infrastructure it deploys, IAM included.
    for (const request of [
      { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/app` },
      { action: 'ssm:PutParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/setting` },
      { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:app` },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::app-assets/index.html' },
    ]) {
      expect(await decideFor(deployRole, policies, request), request.action).toBe('Allowed');
    }
  });
});

describe('function roles', () => {
  it('presign artifact URLs and read the platform policy', async () => {
    const object = `${cfn.getAtt('ArtifactBucket', 'Arn')}/runs/01RUN/network/prod/plan.bin`;
    const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
    const table = cfn.getAtt('PushgateTable', 'Arn');
    const planText = `${cfn.getAtt('ArtifactBucket', 'Arn')}/runs/01RUN/network/prod/plan.txt`;
    const stateMachine = cfn.ref('DeployStateMachine');
    const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-${name}`;
    const expected: [string, Request, Decision][] = [
      ['AcquireLockFunctionRole', { action: 's3:PutObject', resource: object }, 'Allowed'],
      ['AcquireLockFunctionRole', { action: 's3:GetObject', resource: object }, 'ImplicitlyDenied'],
      ['PrepareApplyFunctionRole', { action: 's3:GetObject', resource: object }, 'Allowed'],
      ['PrepareApplyFunctionRole', { action: 's3:PutObject', resource: object }, 'ImplicitlyDenied'],
      // It does not read the platform policy: Validate resolved the run's roles.
      [
        'PrepareApplyFunctionRole',
        { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/policy') },
        'ImplicitlyDenied',
      ],
      [
        'PrepareApplyFunctionRole',
        { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/github-token') },
        'Allowed',
      ],
      [
        'PrepareApplyFunctionRole',
        { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/webhook-secret') },
        'ImplicitlyDenied',
      ],
      ['PrepareApplyFunctionRole', { action: 'dynamodb:UpdateItem', resource: table }, 'Allowed'],
      ['PrepareApplyFunctionRole', { action: 'dynamodb:Query', resource: table }, 'Allowed'],
      ['ValidateFunctionRole', { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/policy') }, 'Allowed'],
      [
        'ExecutionEndedFunctionRole',
        { action: 'sqs:SendMessage', resource: cfn.getAtt('ExecutionEndedDeadLetterQueue', 'Arn') },
        'Allowed',
      ],
      // Approvals resume the run through exactly these three; nothing else may.
      ...(['ApproveFunctionRole', 'CommandsFunctionRole', 'SlackActionsFunctionRole'] as const).flatMap(
        (role): [string, Request, Decision][] => [
          // No resource type: the task token is the capability (list_awsstepfunctions.html).
          [role, { action: 'states:SendTaskSuccess', resource: '*' }, 'Allowed'],
          [role, { action: 'states:SendTaskFailure', resource: '*' }, 'Allowed'],
          [role, { action: 'states:StartExecution', resource: stateMachine }, 'ImplicitlyDenied'],
          [role, { action: 'dynamodb:UpdateItem', resource: table }, 'Allowed'],
          [role, { action: 'dynamodb:Query', resource: `${table}/index/gsi1` }, 'Allowed'],
          [
            role,
            { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/webhook-secret') },
            'ImplicitlyDenied',
          ],
          [role, { action: 's3:GetObject', resource: object }, 'ImplicitlyDenied'],
        ],
      ),
      ['CommandsFunctionRole', { action: 'dynamodb:PutItem', resource: table }, 'Allowed'],
      ['ApproveFunctionRole', { action: 'dynamodb:PutItem', resource: table }, 'ImplicitlyDenied'],
      [
        'SlackActionsFunctionRole',
        { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/slack-signing-secret') },
        'Allowed',
      ],
      [
        'ApproveFunctionRole',
        { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/slack-signing-secret') },
        'ImplicitlyDenied',
      ],
      // The webhook hands comment commands to the commands function, and to nothing else.
      ['WebhookFunctionRole', { action: 'lambda:InvokeFunction', resource: fn('commands') }, 'Allowed'],
      ['WebhookFunctionRole', { action: 'lambda:InvokeFunction', resource: fn('approve') }, 'ImplicitlyDenied'],
      ['WebhookFunctionRole', { action: 'states:SendTaskSuccess', resource: '*' }, 'ImplicitlyDenied'],
      // Feedback (Validate, RequestApproval, Notify): the run, its plan texts, GitHub and Slack credentials.
      ...(['ValidateFunctionRole', 'RequestApprovalFunctionRole', 'NotifyFunctionRole'] as const).flatMap(
        (role): [string, Request, Decision][] => [
          // Validate shows no plan: it reads none.
          [
            role,
            { action: 's3:GetObject', resource: planText },
            role === 'ValidateFunctionRole' ? 'ImplicitlyDenied' : 'Allowed',
          ],
          [role, { action: 's3:GetObject', resource: object }, 'ImplicitlyDenied'],
          [role, { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/slack-bot-token') }, 'Allowed'],
          [role, { action: 'ssm:GetParameter', resource: parameter('/pushgate/dev/github-token') }, 'Allowed'],
          [role, { action: 'states:SendTaskSuccess', resource: '*' }, 'ImplicitlyDenied'],
        ],
      ),
    ];
    for (const [role, request, decision] of expected) {
      expect(await decide(cfn, role, request), `${role} ${request.action} ${request.resource}`).toBe(decision);
    }
    // The prepareApply function comes with the workflow change; its log group is named after it.
    expect(JSON.stringify(cfn.resolve(template.Resources.PrepareApplyFunctionRole!.Properties))).toContain(
      'log-group:/aws/lambda/pushgate-dev-prepareApply:*',
    );
  });
});

describe('the drift schedule', () => {
  it('EventBridge Scheduler invokes the drift function every driftTick, as a role that may do nothing else', async () => {
    const schedules = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule');
    // Two schedules: this one and the lock sweep's (below).
    expect(schedules).toHaveLength(2);
    const schedule = schedules
      .map(([, each]) => each)
      .find((each) => JSON.stringify(each.Properties).includes('DriftCheckLambdaFunction'))!;
    const properties = cfn.resolve(schedule.Properties) as {
      ScheduleExpression: string;
      State: string;
      Target: { Arn: string; RoleArn: string; Input: string };
    };
    expect(properties).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Target: {
        Arn: cfn.getAtt('DriftCheckLambdaFunction', 'Arn'),
        RoleArn: cfn.getAtt('DriftScheduleRole', 'Arn'),
      },
    });
    // What the function parses as the schedule's request (functions/lib/drift/drift-invocation.ts).
    const { DriftInvocation } = await import('../../../functions/lib/drift/drift-invocation.ts');
    expect(DriftInvocation.parse(JSON.parse(properties.Target.Input))).toEqual({ source: 'schedule' });

    // The role: trusted by the scheduler of this account only, allowed to invoke this function only.
    const trust = cfn.resolve(template.Resources.DriftScheduleRole!.Properties.AssumeRolePolicyDocument) as {
      Statement: unknown[];
    };
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
    const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-${name}`;
    const expected: [Request, Decision][] = [
      [{ action: 'lambda:InvokeFunction', resource: fn('driftCheck') }, 'Allowed'],
      [{ action: 'lambda:InvokeFunction', resource: fn('rollback') }, 'ImplicitlyDenied'],
      [{ action: 'lambda:InvokeFunction', resource: fn('webhook') }, 'ImplicitlyDenied'],
      [{ action: 'states:StartExecution', resource: cfn.ref('DeployStateMachine') }, 'ImplicitlyDenied'],
      [{ action: 'dynamodb:GetItem', resource: cfn.getAtt('PushgateTable', 'Arn') }, 'ImplicitlyDenied'],
    ];
    for (const [request, decision] of expected) {
      expect(await decide(cfn, 'DriftScheduleRole', request), `${request.action} ${request.resource}`).toBe(decision);
    }
    // The function's own role is not the scheduler's: it trusts Lambda alone.
    expect(
      JSON.stringify(template.Resources.DriftCheckFunctionRole!.Properties.AssumeRolePolicyDocument),
    ).not.toContain('scheduler');
  });

  it('EventBridge Scheduler runs the lock sweep every minute, as a role that may invoke nothing else', async () => {
    const schedule = Object.values(template.Resources).find(
      (each) =>
        each.Type === 'AWS::Scheduler::Schedule' && JSON.stringify(each.Properties).includes('LockSweepLambdaFunction'),
    );
    expect(schedule, 'a schedule for the lock sweep').toBeDefined();
    const properties = cfn.resolve(schedule!.Properties) as { ScheduleExpression: string; State: string };
    expect(properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: {
        Arn: cfn.getAtt('LockSweepLambdaFunction', 'Arn'),
        RoleArn: cfn.getAtt('LockSweepScheduleRole', 'Arn'),
      },
    });
    const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-${name}`;
    const expected: [Request, Decision][] = [
      [{ action: 'lambda:InvokeFunction', resource: fn('lockSweep') }, 'Allowed'],
      [{ action: 'lambda:InvokeFunction', resource: fn('driftCheck') }, 'ImplicitlyDenied'],
      [{ action: 'lambda:InvokeFunction', resource: fn('releaseLock') }, 'ImplicitlyDenied'],
      [{ action: 'states:SendTaskSuccess', resource: '*' }, 'ImplicitlyDenied'],
    ];
    for (const [request, decision] of expected) {
      expect(await decide(cfn, 'LockSweepScheduleRole', request), `${request.action} ${request.resource}`).toBe(
        decision,
      );
    }
  });

  it("the drift function's role reaches only the partitions it reads and writes", async () => {
    const table = cfn.getAtt('PushgateTable', 'Arn');
    const on = (action: string, pk: string | undefined): Request => ({
      action,
      resource: table,
      ...(pk === undefined ? {} : { context: { 'dynamodb:LeadingKeys': [pk] } }),
    });
    const expected: [Request, Decision][] = [
      [on('dynamodb:Query', 'DEPLOYED'), 'Allowed'],
      [on('dynamodb:Query', 'CURRENT#octocat/infra#prod'), 'Allowed'],
      [on('dynamodb:PutItem', 'RUN#01RUN'), 'Allowed'],
      // Other records: locks, deployment history, targets' partitions' neighbours, deliveries.
      [on('dynamodb:Query', 'LOCK#octocat/infra#network#prod'), 'ImplicitlyDenied'],
      [on('dynamodb:Query', 'RUN#01RUN'), 'ImplicitlyDenied'],
      [on('dynamodb:Query', 'DEPLOY#octocat/infra#prod'), 'ImplicitlyDenied'],
      [on('dynamodb:GetItem', 'LOCK#octocat/infra#network#prod'), 'ImplicitlyDenied'],
      [on('dynamodb:GetItem', 'DELIVERY#d1'), 'ImplicitlyDenied'],
      [on('dynamodb:PutItem', 'CURRENT#octocat/infra#prod'), 'ImplicitlyDenied'],
      [on('dynamodb:PutItem', 'DEPLOYED'), 'ImplicitlyDenied'],
      [on('dynamodb:UpdateItem', 'CURRENT#octocat/infra#prod'), 'ImplicitlyDenied'],
      [on('dynamodb:UpdateItem', 'LOCK#octocat/infra#network#prod'), 'ImplicitlyDenied'],
      // A request without the key is not let through by ForAllValues.
      [on('dynamodb:Query', undefined), 'ImplicitlyDenied'],
      [on('dynamodb:PutItem', undefined), 'ImplicitlyDenied'],
      [{ action: 'dynamodb:Query', resource: `${table}/index/gsi1` }, 'ImplicitlyDenied'],
      [
        {
          action: 'ssm:GetParameter',
          resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pushgate/dev/policy`,
        },
        'ImplicitlyDenied',
      ],
    ];
    for (const [request, decision] of expected) {
      const context = request.context ? ` ${JSON.stringify(request.context)}` : '';
      expect(
        await decide(cfn, 'DriftCheckFunctionRole', request),
        `${request.action} ${request.resource}${context}`,
      ).toBe(decision);
    }
  });
});

describe('CodeBuild projects', () => {
  it.each(['PlanProject', 'ApplyProject'])('%s gives up after 30 minutes in the queue, 60 running', async (id) => {
    const project = template.Resources[id]!.Properties;
    expect(project.QueuedTimeoutInMinutes).toBe(30);
    expect(project.TimeoutInMinutes).toBe(60);
    // Builds reach the artifacts only through presigned URLs: they are not told the bucket.
    expect(JSON.stringify(project)).not.toContain('ArtifactBucket');
  });
});

describe('executionEnded dead letters', () => {
  it('retries, then parks the event in a queue whose depth raises an alarm', async () => {
    const queue = cfn.getAtt('ExecutionEndedDeadLetterQueue', 'Arn');
    expect(cfn.resolve(template.Resources.ExecutionEndedDeadLetterQueue!.Properties)).toEqual({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    // Lambda's async invocation: two retries, then the on-failure destination.
    const invokeConfig = Object.values(template.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventInvokeConfig' &&
        JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: 'ExecutionEndedLambdaFunction' }),
    );
    expect(cfn.resolve(invokeConfig?.Properties)).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: queue } },
    });
    // The rule's target: its own retry policy, then the same queue.
    const [ruleId, rule] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Events::Rule')!;
    const target = (cfn.resolve(rule.Properties) as { Targets: Record<string, unknown>[] }).Targets[0];
    expect(target).toMatchObject({
      Arn: cfn.getAtt('ExecutionEndedLambdaFunction', 'Arn'),
      RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 30 },
      DeadLetterConfig: { Arn: queue },
    });
    // EventBridge may send to the queue for this rule only.
    const queuePolicy = cfn.resolve(template.Resources.ExecutionEndedDeadLetterQueuePolicy!.Properties) as {
      PolicyDocument: unknown;
    };
    const send = (rule: string) =>
      decideFor('events.amazonaws.com', [], {
        action: 'sqs:SendMessage',
        resource: queue,
        resourcePolicy: queuePolicy.PolicyDocument,
        context: { 'aws:SourceArn': rule },
      });
    expect(await send(cfn.getAtt(ruleId, 'Arn'))).toBe('Allowed');
    expect(await send(`arn:aws:events:${REGION}:${ACCOUNT}:rule/someone-else`)).toBe('ImplicitlyDenied');
    // Any visible message alarms, to the encrypted AlarmTopic.
    expect(cfn.resolve(template.Resources.ExecutionEndedDeadLettersAlarm!.Properties)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: cfn.getAtt('ExecutionEndedDeadLetterQueue', 'QueueName') }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [cfn.ref('AlarmTopic')],
    });
    expect(template.Resources.AlarmTopic?.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlarmTopicKey' });
    // CloudWatch alarms can publish to an encrypted topic only if the key lets them.
    const keyPolicy = cfn.resolve(template.Resources.AlarmTopicKey!.Properties.KeyPolicy) as {
      Statement: { Principal: unknown; Action: unknown }[];
    };
    expect(keyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    expect(cfn.resolve(template.Outputs?.AlarmTopicArn?.Value)).toBe(cfn.ref('AlarmTopic'));
  });
});

/** The functions of the template: their name in serverless.yml, handler source, role and environment. */
function templateFunctions() {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const functionName = cfn.resolve(resource.Properties.FunctionName) as string;
      const handler = resource.Properties.Handler as string;
      const role = resource.Properties.Role as { 'Fn::GetAtt': [string, string] };
      return {
        logicalId,
        functionName,
        name: functionName.replace(/^pushgate-dev-/, ''),
        entry: `${handler.slice(0, handler.lastIndexOf('.'))}.ts`,
        roleId: role['Fn::GetAtt'][0],
      };
    });
}

function templateFunction(name: string) {
  const fn = templateFunctions().find((candidate) => candidate.name === name);
  if (!fn) throw new Error(`no function ${name} in the template`);
  return { ...fn, env: new FunctionEnvironment(cfn, fn.logicalId) };
}

/** Requests of a manifest's calls: one per action and resource. */
function requestsOf(calls: Call[]): Request[] {
  return calls.flatMap((call) =>
    call.resources.map((resource) => ({
      action: call.action,
      resource,
      ...(call.context ? { context: call.context } : {}),
    })),
  );
}

/**
 * What the Lambda service does with the function's role, not its code: write its log, send its
 * traces when tracing is active, and deliver a failed asynchronous event to its on-failure
 * destination. `tolerated`: what X-Ray's managed policy also grants (sampling), harmless.
 */
function runtimeRequests(fn: ReturnType<typeof templateFunction>): { required: Request[]; tolerated: Request[] } {
  const properties = cfn.resolve(template.Resources[fn.logicalId]!.Properties) as { TracingConfig?: { Mode?: string } };
  const required: Request[] = ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
    action,
    resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${fn.functionName}:log-stream:2026/01/01/[$LATEST]abc`,
  }));
  const tolerated: Request[] = [];
  if (properties.TracingConfig?.Mode === 'Active') {
    required.push(
      ...['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].map((action) => ({ action, resource: '*' })),
    );
    tolerated.push(
      ...['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'].map((action) => ({
        action,
        resource: '*',
      })),
    );
  }
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    if (JSON.stringify(resource.Properties.FunctionName) !== JSON.stringify({ Ref: fn.logicalId })) continue;
    const destination = (
      cfn.resolve(resource.Properties) as { DestinationConfig?: { OnFailure?: { Destination?: string } } }
    ).DestinationConfig?.OnFailure?.Destination;
    if (destination?.startsWith('arn:aws:sqs:')) required.push({ action: 'sqs:SendMessage', resource: destination });
  }
  return { required, tolerated };
}

/** IAM's wildcard match (`*` any characters, `?` one), case-sensitive as ARNs are. */
function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

const key = (request: Request) => `${request.action} ${request.resource}`;

describe('least privilege, proven: each function against its code and its role', () => {
  const names = Object.keys(FUNCTION_PERMISSIONS);

  it('the manifest names every function of the template, and only those', () => {
    expect(
      templateFunctions()
        .map((fn) => fn.name)
        .sort(),
    ).toEqual([...names].sort());
  });

  it.each(names)('%s: the manifest lists exactly the AWS calls its bundle can make', async (name) => {
    const fn = templateFunction(name);
    const manifest = FUNCTION_PERMISSIONS[name]!(fn.env);
    const reached = await sdkCalls(fn.entry, root);
    const listed = new Set([
      ...manifest.calls.filter((call) => !call.for).map((call) => call.action),
      ...Object.keys(manifest.notGranted),
    ]);
    expect(
      [...listed].sort(),
      `${fn.entry} reaches calls the manifest does not list, or no longer reaches some`,
    ).toEqual(reached);
    for (const call of manifest.calls.filter((c) => c.for)) {
      expect(reached, `${call.action} is needed for ${call.for!.action}`).toContain(call.for!.action);
    }
    for (const action of Object.keys(manifest.notGranted)) {
      expect(
        manifest.calls.map((call) => call.action),
        `${action} is both called and not granted`,
      ).not.toContain(action);
    }
  });

  it.each(names)('%s: its role allows every call of the manifest and of the Lambda runtime', async (name) => {
    const fn = templateFunction(name);
    const manifest = FUNCTION_PERMISSIONS[name]!(fn.env);
    const requests = [...requestsOf(manifest.calls), ...runtimeRequests(fn).required];
    expect(await decisions(fn.roleId, requests)).toEqual(all(requests, 'Allowed'));
  });

  it.each(names)('%s: its role grants nothing that no call needs', async (name) => {
    const fn = templateFunction(name);
    const manifest = FUNCTION_PERMISSIONS[name]!(fn.env);
    const runtime = runtimeRequests(fn);
    const needed = [...requestsOf(manifest.calls), ...runtime.required, ...runtime.tolerated];
    const unused: string[] = [];
    for (const policy of rolePolicies(cfn, fn.roleId)) {
      const statements = (policy.policy as { Statement: Record<string, unknown>[] }).Statement;
      for (const statement of statements) {
        if (statement.Effect !== 'Allow') continue;
        expect(statement.NotAction ?? statement.NotResource, `${policy.name}: Allow with NotAction/NotResource`).toBe(
          undefined,
        );
        for (const action of [statement.Action].flat() as string[]) {
          for (const resource of [statement.Resource].flat() as string[]) {
            const used = needed.some(
              (request) => globMatches(action, request.action) && globMatches(resource, request.resource),
            );
            if (!used) unused.push(`${policy.name}: ${action} on ${resource}`);
          }
        }
      }
    }
    expect(unused).toEqual([]);
  });

  it.each(names)('%s: its role denies what the bundle reaches but the function never sends', async (name) => {
    const fn = templateFunction(name);
    const manifest = FUNCTION_PERMISSIONS[name]!(fn.env);
    const requests = Object.keys(manifest.notGranted).flatMap((action) =>
      pushgateResources(action).map((resource) => ({ action, resource })),
    );
    expect(await decisions(fn.roleId, requests)).toEqual(all(requests, 'ImplicitlyDenied'));
  });

  it.each(names)("%s: denied every other function's calls, and what no function may do", async (name) => {
    const fn = templateFunction(name);
    const own = new Set(requestsOf(FUNCTION_PERMISSIONS[name]!(fn.env).calls).map(key));
    const others = names
      .filter((other) => other !== name)
      .flatMap((other) => requestsOf(FUNCTION_PERMISSIONS[other]!(templateFunction(other).env).calls))
      .filter((request) => !own.has(key(request)));
    const requests = [...new Map([...others, ...neverForFunctions()].map((r) => [key(r), r])).values()];
    const allowed = Object.entries(await decisions(fn.roleId, requests)).filter(
      ([, decision]) => decision === 'Allowed',
    );
    expect(allowed).toEqual([]);
  });
});

/** pushgate's resources of an action's service, to show an action is denied on all of them. */
function pushgateResources(action: string): string[] {
  const table = cfn.getAtt('PushgateTable', 'Arn');
  const bucket = cfn.getAtt('ArtifactBucket', 'Arn');
  const service = action.split(':')[0];
  switch (service) {
    case 'dynamodb':
      return [table, `${table}/index/gsi1`];
    case 's3':
      return ['plan.bin', 'plan.json', 'plan.txt'].map((file) => `${bucket}/runs/01RUN/network/prod/${file}`);
    case 'secretsmanager':
      return [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${GITHUB_APP_SECRET}-AbCdEf`];
    case 'ssm':
      return ['github-token', 'policy', 'webhook-secret'].map(
        (name) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pushgate/dev/${name}`,
      );
    default:
      throw new Error(`no pushgate resources listed for ${action}`);
  }
}

/** What no function may do at all. */
function neverForFunctions(): Request[] {
  const table = cfn.getAtt('PushgateTable', 'Arn');
  const bucket = cfn.getAtt('ArtifactBucket', 'Arn');
  const other = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`;
  const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
  const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-${name}`;
  return [
    // Another table, and the whole of pushgate's.
    ...['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'].map((action) => ({
      action,
      resource: other,
    })),
    { action: 'dynamodb:Scan', resource: table },
    { action: 'dynamodb:DeleteTable', resource: table },
    { action: 'dynamodb:BatchWriteItem', resource: table },
    // Parameters and secrets that are not pushgate's, and writing pushgate's.
    { action: 'ssm:GetParameter', resource: parameter('/app/db-password') },
    { action: 'ssm:GetParametersByPath', resource: parameter('/pushgate/dev') },
    { action: 'ssm:PutParameter', resource: parameter('/pushgate/dev/policy') },
    {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:app/db-AbCdEf`,
    },
    // Objects outside the run prefixes, and other buckets.
    { action: 's3:GetObject', resource: `${bucket}/other/key` },
    { action: 's3:PutObject', resource: `${bucket}/other/key` },
    { action: 's3:DeleteObject', resource: `${bucket}/runs/01RUN/network/prod/plan.bin` },
    { action: 's3:GetObject', resource: 'arn:aws:s3:::some-bucket/customers.csv' },
    // IAM, other roles, other functions, the builds.
    { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/x` },
    { action: 'iam:AttachRolePolicy', resource: cfn.getAtt('WebhookFunctionRole', 'Arn') },
    { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
    ...APPLY_ROLES.map((role) => ({ action: 'sts:AssumeRole', resource: role, resourceAccount: role.split(':')[4]! })),
    ...['validate', 'approve', 'webhook'].map((name) => ({ action: 'lambda:InvokeFunction', resource: fn(name) })),
    { action: 'lambda:UpdateFunctionCode', resource: fn('commands') },
    {
      action: 'codebuild:StartBuild',
      resource: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/pushgate-dev-apply`,
    },
    { action: 'states:StopExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:pushgate-dev-deploy:x` },
  ];
}

describe('least privilege, proven: what builds must never do', () => {
  it.each(['ApplyBuildRole', 'PlanBuildRole'])('%s', async (role) => {
    const table = cfn.getAtt('PushgateTable', 'Arn');
    const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pushgate/dev/${name}`;
    const explicitly: Request[] = [
      { action: 'dynamodb:UpdateItem', resource: table },
      ...['github-token', 'webhook-secret', 'slack-signing-secret', 'policy'].map((name) => ({
        action: 'ssm:GetParameter',
        resource: parameter(name),
      })),
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${GITHUB_APP_SECRET}-AbCdEf`,
      },
      { action: 'states:SendTaskSuccess', resource: '*' },
      { action: 'states:SendTaskFailure', resource: '*' },
      { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/x` },
      { action: 'iam:AttachRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/x` },
      { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
      {
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:pushgate-dev-approve`,
      },
    ];
    expect(await decisions(role, explicitly)).toEqual(all(explicitly, 'ExplicitlyDenied'));
    // Another table's writes, and roles beyond its list: never allowed (denied or never granted).
    const never: Request[] = [
      { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` },
      { action: 'dynamodb:DeleteItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` },
      { action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::some-bucket/key' },
      { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other` },
    ];
    const allowed = Object.entries(await decisions(role, never)).filter(([, decision]) => decision === 'Allowed');
    expect(allowed).toEqual([]);
  });
});

function lintErrors(stdout: string): string[] {
  const findings = JSON.parse(stdout) as { Level: string; Rule: { Id: string }; Message: string }[];
  return findings.filter((finding) => finding.Level === 'Error').map((e) => `${e.Rule.Id} ${e.Message}`);
}

describe('CloudFormation linter', () => {
  // cfn-lint, AWS's own linter (github.com/aws-cloudformation/cfn-lint), as installed on this kind of
  // machine (Python); it checks every resource against the CloudFormation resource schemas it ships.
  it('cfn-lint finds no error in the packaged template', { timeout: 120_000 }, async () => {
    await packaged;
    const file = join(out, 'cloudformation-template-update-stack.json');
    const { stdout } = await promisify(execFile)(
      'cfn-lint',
      ['--format', 'json', '--non-zero-exit-code', 'none', '--regions', REGION, '--', file],
      { maxBuffer: 10 * 1024 * 1024 },
    ).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        error.code === 'ENOENT'
          ? 'cfn-lint is not installed: pip install cfn-lint (https://github.com/aws-cloudformation/cfn-lint)'
          : `cfn-lint failed: ${error.message}`,
        { cause: error },
      );
    });
    expect(lintErrors(stdout)).toEqual([]);
    // The same call does fail a template with an error: a misspelt property.
    const broken = join(out, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({
        Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriods: 60 } } },
      }),
    );
    const failed = await promisify(execFile)('cfn-lint', [
      '--format',
      'json',
      '--non-zero-exit-code',
      'none',
      '--regions',
      REGION,
      '--',
      broken,
    ]);
    expect(lintErrors(failed.stdout).join('\n')).toMatch(/^E3002 .*MessageRetentionPeriods/);
  });
});

describe('observability of the packaged stack', () => {
  observabilityChecks(() => template);
});
