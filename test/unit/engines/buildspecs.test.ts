import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildspecFor } from '../../../functions/lib/engines/buildspec-for.ts';
import { shellQuote } from '../../../functions/lib/engines/shell-quote.ts';
import { commandsOf, parseBuildspec, scriptOf } from './run-buildspec.ts';
import { run, targetOf, validConfig } from './engine-fixtures.ts';

const config = validConfig();

function buildspecsOf(project: string, environment: string, planOnly = false) {
  const { target, options } = targetOf(config, project, environment);
  return buildspecFor(target, options, run, planOnly);
}

const HASH_PLAN_BIN = `PUSHGATE_PLAN_SHA256="$(set -o pipefail; sha256sum plan.bin | cut -d ' ' -f 1)" && export PUSHGATE_PLAN_SHA256 && echo "plan.bin sha256 $PUSHGATE_PLAN_SHA256"`;
const HASH_PLAN_JSON = `PUSHGATE_PLAN_JSON_SHA256="$(set -o pipefail; sha256sum plan.json | cut -d ' ' -f 1)" && export PUSHGATE_PLAN_JSON_SHA256 && echo "plan.json sha256 $PUSHGATE_PLAN_JSON_SHA256"`;

/** The index of the first command containing `text`; fails the test when there is none. */
function indexOf(commands: string[], text: string): number {
  const index = commands.findIndex((command) => command.includes(text));
  if (index < 0) throw new Error(`no command contains ${text}:\n${commands.join('\n')}`);
  return index;
}

describe('shellQuote', () => {
  it('gives bash the exact text back, whatever it contains', () => {
    const nasty = ["it's", '$(touch /tmp/pwned)', '`id`', '"quoted" \\ back', 'a b\tc\nd', '{env}', "''", ''];
    for (const value of nasty) {
      expect(execFileSync('bash', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' })).toBe(value);
    }
  });
});

describe('buildspecFor', () => {
  it('writes buildspec 0.2 for bash, with the target and environment variables', () => {
    const { plan } = buildspecsOf('network', 'staging');
    const spec = parseBuildspec(plan);
    expect(spec.version).toBe(0.2);
    expect(spec.env?.shell).toBe('bash');
    expect(spec.env?.variables).toEqual({
      PUSHGATE_RUN_ID: run.runId,
      PUSHGATE_PROJECT: 'network',
      PUSHGATE_ENVIRONMENT: 'staging',
      PUSHGATE_ARTIFACT_PREFIX: `runs/${run.runId}/network/staging`,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_VAR_replicas: '2',
    });
  });

  it('terraform plan: validate first, plan to plan.bin with var files, show JSON, upload both last', () => {
    expect(commandsOf(buildspecsOf('network', 'prod').plan)).toEqual([
      `cd "$CODEBUILD_SRC_DIR"/'infra/network'`,
      'terraform init -input=false -no-color',
      "terraform workspace select -or-create 'prod'",
      'terraform validate -no-color',
      "terraform plan -input=false -no-color -lock-timeout=5m -out=plan.bin -var-file='envs/prod.tfvars'",
      'terraform show -json plan.bin > plan.json',
      HASH_PLAN_BIN,
      HASH_PLAN_JSON,
      'aws s3 cp plan.bin "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.bin"',
      'aws s3 cp plan.json "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.json"',
    ]);
  });

  it('terraform apply: downloads and verifies the plan before any terraform command, then applies it', () => {
    const commands = commandsOf(buildspecsOf('network', 'prod').apply!);
    expect(commands[1]).toBe('aws s3 cp "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.bin" plan.bin');
    const verify = indexOf(commands, 'plan artifact changed since it was reviewed');
    expect(commands[verify]).toContain('${PUSHGATE_PLAN_SHA256:-}');
    expect(verify).toBeLessThan(indexOf(commands, 'terraform '));
    expect(commands.slice(verify + 1)).toEqual([
      'terraform init -input=false -no-color',
      "terraform workspace select -or-create 'prod'",
      'terraform apply -input=false -no-color -lock-timeout=5m plan.bin',
    ]);
  });

  it('plan-only runs get no apply buildspec', () => {
    for (const [project, environment] of [
      ['network', 'staging'],
      ['app', 'staging'],
      ['dns', 'prod'],
    ] as const) {
      expect(buildspecsOf(project, environment, true).apply).toBeUndefined();
    }
  });

  it('terraform options: {env} in workspace and var files, a pinned version installs a checked release', () => {
    const { target, options } = targetOf(config, 'network', 'staging');
    const project = {
      ...options.project,
      terraform: { workspace: 'net-{env}', varFiles: ['common.tfvars', "it's/{env}.tfvars"], version: '1.9.5' },
    };
    const { plan, apply } = buildspecFor(target, { ...options, project }, run, false);
    const commands = commandsOf(plan);
    expect(commands).toContain("terraform workspace select -or-create 'net-staging'");
    expect(commands).toContain(
      "terraform plan -input=false -no-color -lock-timeout=5m -out=plan.bin -var-file='common.tfvars' -var-file='it'\\''s/staging.tfvars'",
    );
    for (const text of [plan, apply!]) {
      const install = parseBuildspec(text).phases.install?.commands?.join('\n') ?? '';
      expect(install).toContain("base='https://releases.hashicorp.com/terraform/1.9.5'");
      expect(install).toContain("'terraform_1.9.5_SHA256SUMS'");
      expect(install).toContain('sha256sum -c -');
    }
    expect(parseBuildspec(buildspecsOf('network', 'staging').plan).phases.install).toBeUndefined();
  });

  it('opentofu runs the same steps with tofu and installs from the OpenTofu releases', () => {
    const { target, options } = targetOf(config, 'network', 'staging');
    const project = { ...options.project, engine: 'opentofu' as const, terraform: { version: '1.8.0' } };
    const { plan, apply } = buildspecFor({ ...target, engine: 'opentofu' }, { ...options, project }, run, false);
    expect(commandsOf(plan)).toContain('tofu plan -input=false -no-color -lock-timeout=5m -out=plan.bin');
    expect(commandsOf(plan)).toContain('tofu show -json plan.bin > plan.json');
    expect(commandsOf(apply!)).toContain('tofu apply -input=false -no-color -lock-timeout=5m plan.bin');
    expect(commandsOf(plan).join('\n')).not.toMatch(/^terraform /m);
    expect(plan).toContain('https://github.com/opentofu/opentofu/releases/download/v1.8.0');
  });

  it('cloudformation plan: a change set per environment, empty change sets accepted, its ARN as plan.bin', () => {
    const commands = commandsOf(buildspecsOf('app', 'staging').plan);
    expect(commands[0]).toBe(`cd "$CODEBUILD_SRC_DIR"/'infra/app'`);
    expect(commands[1]).toBe("aws cloudformation validate-template --template-body file://'template.yaml' > /dev/null");
    const script = commands[2]!;
    expect(script).toContain("stack='app-staging'");
    expect(script).toContain(
      'if [ -z "$status" ] || [ "$status" = REVIEW_IN_PROGRESS ]; then type=CREATE; else type=UPDATE; fi',
    );
    expect(script).toContain(
      `aws cloudformation create-change-set --stack-name "$stack" --change-set-name 'pushgate-${run.runId}' --change-set-type "$type" --template-body file://'template.yaml' --parameters file://"$parameters" --capabilities CAPABILITY_IAM --query Id --output text > plan.bin`,
    );
    expect(script).toContain(`'[{"ParameterKey":"Env","ParameterValue":"staging"}]'`);
    expect(script).toContain('aws cloudformation wait change-set-create-complete --change-set-name "$arn"');
    expect(script).toContain(`*"didn't contain changes"*`);
    expect(script).toContain(
      'aws cloudformation describe-change-set --change-set-name "$arn" --output json > plan.json',
    );
    expect(commands.slice(3)).toEqual([
      HASH_PLAN_BIN,
      HASH_PLAN_JSON,
      'aws s3 cp plan.bin "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.bin"',
      'aws s3 cp plan.json "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.json"',
    ]);
  });

  it('cloudformation apply: verifies the change set ARN, then executes it and waits for the stack', () => {
    const commands = commandsOf(buildspecsOf('app', 'prod').apply!);
    const verify = indexOf(commands, 'plan artifact changed since it was reviewed');
    const execute = indexOf(commands, 'aws cloudformation execute-change-set --change-set-name "$arn"');
    expect(verify).toBeLessThan(execute);
    expect(verify).toBeLessThan(indexOf(commands, 'aws cloudformation'));
    expect(commands[execute]).toContain("stack='app-prod'");
    expect(commands[execute]).toContain('aws cloudformation wait stack-create-complete --stack-name "$stack"');
    expect(commands[execute]).toContain('aws cloudformation wait stack-update-complete --stack-name "$stack"');
  });

  it('cloudformation stack names take {env}', () => {
    const { target, options } = targetOf(config, 'app', 'prod');
    const project = { ...options.project, cloudformation: { template: 'stack.yml', stackName: 'acme-{env}-app' } };
    const { plan } = buildspecFor(target, { ...options, project }, run, true);
    expect(plan).toContain("stack='acme-prod-app'");
    expect(plan).not.toContain('--parameters');
    expect(plan).not.toContain('--capabilities');
  });

  it("command plan: the user's commands, then planFile saved as plan.bin", () => {
    const { target, options } = targetOf(config, 'dns', 'prod');
    const project = {
      ...options.project,
      command: { ...options.project.command!, validate: './dns check', planJson: 'out/plan.json' },
    };
    const commands = commandsOf(buildspecFor(target, { ...options, project }, run, true).plan);
    expect(commands.slice(0, 3)).toEqual([
      `cd "$CODEBUILD_SRC_DIR"/'dns'`,
      './dns check',
      './dns plan --out out/dns.plan',
    ]);
    expect(commands[3]).toContain("cp -- 'out/dns.plan' plan.bin");
    expect(commands[3]).toContain("cp -- 'out/plan.json' plan.json");
    expect(commands.slice(-4)).toEqual([
      HASH_PLAN_BIN,
      HASH_PLAN_JSON,
      'aws s3 cp plan.bin "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.bin"',
      'aws s3 cp plan.json "s3://$PUSHGATE_ARTIFACT_BUCKET/$PUSHGATE_ARTIFACT_PREFIX/plan.json"',
    ]);
  });

  it("command apply: the verified plan goes back to planFile, then the user's apply runs", () => {
    const commands = commandsOf(buildspecsOf('dns', 'prod').apply!);
    const verify = indexOf(commands, 'plan artifact changed since it was reviewed');
    expect(commands.slice(verify + 1)).toEqual([
      "mkdir -p -- 'out' && cp -- plan.bin 'out/dns.plan'",
      `export PUSHGATE_PLAN_FILE="$PWD"/'out/dns.plan'`,
      './dns apply "$PUSHGATE_PLAN_FILE"',
    ]);
  });

  it('every plan buildspec, of every engine, exports the sha256 of each artifact it uploads', () => {
    const plans = {
      terraform: buildspecsOf('network', 'prod').plan,
      opentofu: (() => {
        const { target, options } = targetOf(config, 'network', 'staging');
        const project = { ...options.project, engine: 'opentofu' as const };
        return buildspecFor({ ...target, engine: 'opentofu' }, { ...options, project }, run, true).plan;
      })(),
      cloudformation: buildspecsOf('app', 'staging').plan,
      command: buildspecsOf('dns', 'prod').plan,
    };
    for (const [engine, plan] of Object.entries(plans)) {
      const commands = commandsOf(plan);
      const uploadsJson = commands.some((command) => command.startsWith('aws s3 cp plan.json '));
      expect(parseBuildspec(plan).env?.['exported-variables'], engine).toEqual(
        uploadsJson ? ['PUSHGATE_PLAN_SHA256', 'PUSHGATE_PLAN_JSON_SHA256'] : ['PUSHGATE_PLAN_SHA256'],
      );
      // Hashed in the build's own shell (not a subshell), after plan.bin exists and before its upload.
      const hash = commands.indexOf(HASH_PLAN_BIN);
      expect(hash, engine).toBeGreaterThan(0);
      expect(hash, engine).toBeLessThan(indexOf(commands, 'aws s3 cp plan.bin '));
      expect(commands.slice(0, hash).join('\n'), engine).toMatch(/plan\.bin/);
    }
    expect(parseBuildspec(plans.command).env?.['exported-variables']).toEqual(['PUSHGATE_PLAN_SHA256']);
  });

  it('the hash command fails, rather than export an empty sha256, when plan.bin is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pushgate-hash-'));
    try {
      expect(() => execFileSync('bash', ['-c', HASH_PLAN_BIN], { cwd: empty, stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('apply buildspecs export nothing', () => {
    for (const [project, environment] of [
      ['network', 'prod'],
      ['app', 'prod'],
      ['dns', 'prod'],
    ] as const) {
      expect(parseBuildspec(buildspecsOf(project, environment).apply!).env?.['exported-variables']).toBeUndefined();
    }
  });

  it('every generated buildspec is valid bash', () => {
    for (const project of config.projects) {
      for (const environment of project.environments) {
        const { plan, apply } = buildspecsOf(project.name, environment);
        for (const text of [plan, apply!]) {
          expect(() => execFileSync('bash', ['-n', '-c', scriptOf(text)], { stdio: 'pipe' })).not.toThrow();
        }
      }
    }
  });
});
