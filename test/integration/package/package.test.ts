import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'pushgate-package-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// `npm run package` is `osls package`: offline, no AWS credentials. It validates the state machine
// (stepFunctions.validate) and bundles every function with esbuild.
describe('osls package', () => {
  it('packages every function and the deploy state machine', { timeout: 180_000 }, async () => {
    const { stdout, stderr } = await promisify(execFile)('npx', ['osls', 'package', '--package', out], {
      cwd: root,
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', SLS_TELEMETRY_DISABLED: '1' },
      maxBuffer: 10 * 1024 * 1024,
    });
    expect(`${stdout}${stderr}`).toContain('State machine "deploy" definition is valid');
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
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
    // Plan and apply are two projects with two roles; only the webhook may start executions.
    expect(template.Resources.PlanProject?.Properties.ServiceRole).not.toEqual(
      template.Resources.ApplyProject?.Properties.ServiceRole,
    );
    const startsExecutions = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties).includes('states:StartExecution'))
      .map(([id]) => id);
    expect(startsExecutions).toEqual(['WebhookFunctionRole']);
    // A pull request's plan build runs its own code: its role may not read pushgate's secrets,
    // records, executions or other runs' artifacts (explicit denies beat ReadOnlyAccess).
    const planDenies = JSON.stringify(
      (
        template.Resources.PlanBuildRole?.Properties.Policies as {
          PolicyDocument: { Statement: { Effect: string }[] };
        }[]
      )
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .filter((statement) => statement.Effect === 'Deny'),
    );
    for (const action of [
      'ssm:GetParameter*',
      'secretsmanager:GetSecretValue',
      'dynamodb:*',
      's3:GetObject*',
      'states:*',
    ]) {
      expect(planDenies, action).toContain(action);
    }
    expect(template.Resources.DeployStateMachine?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(template.Resources.PushgateTable?.Type).toBe('AWS::DynamoDB::Table');
    // One bundle per function, not one zip of everything.
    expect(readdirSync(out).filter((file) => file.endsWith('.zip')).length).toBe(handlers.length);
  });
});
