import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildspecFor } from '../../../functions/lib/engines/buildspec-for.ts';
import { cloudFormationStackName, defaultStackName } from '../../../functions/lib/engines/cloudformation-buildspec.ts';
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
/** Builds reach the artifact bucket only through the presigned URLs the workflow passes. */
const CURL = 'curl --fail --silent --show-error --retry 3 --retry-connrefused';
const UPLOAD_PLAN_BIN = `${CURL} --upload-file plan.bin "$PUSHGATE_PLAN_BIN_URL" && echo "plan.bin uploaded"`;
const UPLOAD_PLAN_JSON = `${CURL} --upload-file plan.json "$PUSHGATE_PLAN_JSON_URL" && echo "plan.json uploaded"`;
const DOWNLOAD_PLAN_BIN = `${CURL} --output plan.bin "$PUSHGATE_PLAN_BIN_URL" && echo "plan.bin downloaded"`;
/** The informational plan text: uploaded last, when there is one, never failing the build. */
const UPLOAD_PLAN_TXT =
  'unset PUSHGATE_PLAN_TXT_SHA256; if [ -n "${PUSHGATE_PLAN_TXT_URL:-}" ] && [ -f plan.txt ]; then ' +
  `PUSHGATE_PLAN_TXT_SHA256="$(set -o pipefail; sha256sum plan.txt | cut -d ' ' -f 1)" ` +
  `&& ${CURL} --upload-file plan.txt "$PUSHGATE_PLAN_TXT_URL" ` +
  '&& export PUSHGATE_PLAN_TXT_SHA256 && echo "plan.txt uploaded" ' +
  '|| { unset PUSHGATE_PLAN_TXT_SHA256; echo "plan.txt was not uploaded (the plan text is informational: the plan stands)" >&2; }; fi';
/** Terraform's plan text, rendered after the uploads; its failure removes plan.txt and goes on. */
const terraformPlanText = (tool: string) =>
  `(\nset -euo pipefail\n${tool} show -no-color plan.bin > plan.txt\n) || { rm -f plan.txt; echo "could not write plan.txt (the plan text is informational: the plan stands)" >&2; }`;

/** The first command of every build: the environment's role, when the platform policy gives one. */
function assumeRoleOf(variable: 'PUSHGATE_PLAN_ROLE_ARN' | 'PUSHGATE_APPLY_ROLE_ARN'): string {
  return (
    `if [ -n "\${${variable}:-}" ]; then ` +
    `read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(aws sts assume-role --role-arn "$${variable}" --role-session-name "pushgate-$PUSHGATE_RUN_ID" --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text) ` +
    '&& [ -n "$AWS_SESSION_TOKEN" ] ' +
    '&& export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN ' +
    '&& unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI ' +
    `&& echo "assumed role $${variable}"; fi`
  );
}
const ASSUME_PLAN_ROLE = assumeRoleOf('PUSHGATE_PLAN_ROLE_ARN');
const ASSUME_APPLY_ROLE = assumeRoleOf('PUSHGATE_APPLY_ROLE_ARN');

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
      PUSHGATE_PLAN_ROLE_ARN: '',
      PUSHGATE_APPLY_ROLE_ARN: '',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_VAR_replicas: '2',
    });
  });

  it("both buildspecs carry the target's roles from the platform policy, each build assuming its own first", () => {
    const { target, options } = targetOf(config, 'network', 'prod');
    const roles = {
      plan: 'arn:aws:iam::123456789012:role/pushgate-plan-prod',
      apply: 'arn:aws:iam::123456789012:role/pushgate-apply-prod',
    };
    const { plan, apply } = buildspecFor({ ...target, roles }, options, run, false);
    for (const text of [plan, apply!]) {
      expect(parseBuildspec(text).env?.variables).toMatchObject({
        PUSHGATE_PLAN_ROLE_ARN: roles.plan,
        PUSHGATE_APPLY_ROLE_ARN: roles.apply,
      });
    }
    expect(commandsOf(plan)[0]).toBe(ASSUME_PLAN_ROLE);
    expect(commandsOf(apply!)[0]).toBe(ASSUME_APPLY_ROLE);
    // The plan build never takes on the apply role, nor the apply build the plan role.
    expect(commandsOf(plan).join('\n')).not.toContain('PUSHGATE_APPLY_ROLE_ARN');
    expect(commandsOf(apply!).join('\n')).not.toContain('PUSHGATE_PLAN_ROLE_ARN');
  });

  it('terraform plan: assume the role, validate, plan to plan.bin with var files, show JSON, upload both last', () => {
    expect(commandsOf(buildspecsOf('network', 'prod').plan)).toEqual([
      ASSUME_PLAN_ROLE,
      `cd "$CODEBUILD_SRC_DIR"/'infra/network'`,
      'terraform init -input=false -no-color',
      "terraform workspace select -or-create 'prod'",
      'terraform validate -no-color',
      "terraform plan -input=false -no-color -lock-timeout=5m -out=plan.bin -var-file='envs/prod.tfvars'",
      'terraform show -json plan.bin > plan.json',
      HASH_PLAN_BIN,
      HASH_PLAN_JSON,
      UPLOAD_PLAN_BIN,
      UPLOAD_PLAN_JSON,
      terraformPlanText('terraform'),
      UPLOAD_PLAN_TXT,
    ]);
  });

  it('terraform apply: assumes the role, downloads and verifies the plan before any terraform command, then applies it', () => {
    const commands = commandsOf(buildspecsOf('network', 'prod').apply!);
    expect(commands.slice(0, 3)).toEqual([
      ASSUME_APPLY_ROLE,
      `cd "$CODEBUILD_SRC_DIR"/'infra/network'`,
      DOWNLOAD_PLAN_BIN,
    ]);
    const verify = indexOf(commands, 'plan artifact changed since it was reviewed');
    expect(verify).toBe(3);
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
      // Lambda compute writes only under /tmp and has no root: the tool goes into a temporary
      // directory put first on PATH in the build's own shell, never into /usr/local/bin.
      expect(install.split('\n')[0]).toBe(
        'PUSHGATE_TOOLS_DIR="$(mktemp -d)" && export PATH="$PUSHGATE_TOOLS_DIR:$PATH"',
      );
      expect(install).toContain('unzip -o -q "$zip" terraform -d "$PUSHGATE_TOOLS_DIR"');
      expect(install).not.toContain('/usr/local');
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
    expect(commands[0]).toBe(ASSUME_PLAN_ROLE);
    expect(commands[1]).toBe(`cd "$CODEBUILD_SRC_DIR"/'infra/app'`);
    expect(commands[2]).toBe("aws cloudformation validate-template --template-body file://'template.yaml' > /dev/null");
    const script = commands[3]!;
    // The default name has the repository in it (acme/infra), so two repositories never share a stack.
    expect(script).toContain("stack='acme-infra-app-staging'");
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
    // CloudFormation has no text of its plan: pushgate renders the change set from plan.json (renderChangeSetText).
    expect(commands.slice(4)).toEqual([
      HASH_PLAN_BIN,
      HASH_PLAN_JSON,
      UPLOAD_PLAN_BIN,
      UPLOAD_PLAN_JSON,
      UPLOAD_PLAN_TXT,
    ]);
  });

  it('cloudformation apply: verifies the change set ARN, then executes it and waits for the stack', () => {
    const commands = commandsOf(buildspecsOf('app', 'prod').apply!);
    expect(commands.slice(0, 3)).toEqual([ASSUME_APPLY_ROLE, `cd "$CODEBUILD_SRC_DIR"/'infra/app'`, DOWNLOAD_PLAN_BIN]);
    const verify = indexOf(commands, 'plan artifact changed since it was reviewed');
    const execute = indexOf(commands, 'aws cloudformation execute-change-set --change-set-name "$arn"');
    expect(verify).toBeLessThan(execute);
    expect(verify).toBeLessThan(indexOf(commands, 'aws cloudformation'));
    expect(commands[execute]).toContain("stack='acme-infra-app-prod'");
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

  it('cloudformation default stack names: <owner>-<repo>-<project>-<env>, per repository', () => {
    const { target, options } = targetOf(config, 'app', 'prod');
    const planOf = (repo: string) => buildspecFor(target, options, { ...run, repo }, true).plan;
    expect(planOf('Acme-Corp/infra')).toContain("stack='Acme-Corp-infra-app-prod'");
    expect(planOf('acme/billing')).toContain("stack='acme-billing-app-prod'");
    // A name the user gives is kept as written.
    const project = { ...options.project, cloudformation: { template: 'stack.yml', stackName: 'app-{env}' } };
    expect(buildspecFor(target, { ...options, project }, run, true).plan).toContain("stack='app-prod'");
  });

  it("command plan: the user's commands, then planFile saved as plan.bin", () => {
    const { target, options } = targetOf(config, 'dns', 'prod');
    const project = {
      ...options.project,
      command: { ...options.project.command!, validate: './dns check', planJson: 'out/plan.json' },
    };
    const commands = commandsOf(buildspecFor(target, { ...options, project }, run, true).plan);
    expect(commands.slice(0, 4)).toEqual([
      ASSUME_PLAN_ROLE,
      `cd "$CODEBUILD_SRC_DIR"/'dns'`,
      './dns check',
      // In the build's own shell, its output also copied to plan.txt (put in place once it is done).
      'pushgate_plan_text="$(mktemp)"\n{\n./dns plan --out out/dns.plan\n} > >(tee "$pushgate_plan_text") && { wait $! || true; } && { mv -f -- "$pushgate_plan_text" plan.txt || true; }',
    ]);
    expect(commands[4]).toContain("cp -- 'out/dns.plan' plan.bin");
    expect(commands[4]).toContain("cp -- 'out/plan.json' plan.json");
    expect(commands.slice(-5)).toEqual([
      HASH_PLAN_BIN,
      HASH_PLAN_JSON,
      UPLOAD_PLAN_BIN,
      UPLOAD_PLAN_JSON,
      UPLOAD_PLAN_TXT,
    ]);
  });

  it('command plan: the plan command never sees plan.txt in its directory, which holds its output after', () => {
    const { target, options } = targetOf(config, 'dns', 'prod');
    // A plan command that lists its own directory, as dirsync.mjs does before it plans to publish it.
    const project = { ...options.project, command: { ...options.project.command!, plan: 'ls -A' } };
    const teed = commandsOf(buildspecFor(target, { ...options, project }, run, true).plan)[2]!;
    const dir = mkdtempSync(join(tmpdir(), 'pushgate-tee-'));
    try {
      writeFileSync(join(dir, 'main.tf'), '');
      // The race it closes was there one time in a few: try it often.
      for (let attempt = 0; attempt < 20; attempt++) {
        rmSync(join(dir, 'plan.txt'), { force: true });
        const stdout = execFileSync('bash', ['-c', teed], { cwd: dir, encoding: 'utf8' });
        expect(stdout.split('\n').filter(Boolean)).toEqual(['main.tf']);
        expect(readFileSync(join(dir, 'plan.txt'), 'utf8')).toBe('main.tf\n');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("command apply: the verified plan goes back to planFile, then the user's apply runs", () => {
    const commands = commandsOf(buildspecsOf('dns', 'prod').apply!);
    expect(commands.slice(0, 3)).toEqual([ASSUME_APPLY_ROLE, `cd "$CODEBUILD_SRC_DIR"/'dns'`, DOWNLOAD_PLAN_BIN]);
    const verify = indexOf(commands, 'plan artifact changed since it was reviewed');
    expect(verify).toBe(3);
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
      // Every upload is a curl to a presigned URL; plan.bin is always uploaded, plan.json when the engine has one.
      const uploads = commands.filter((command) => command.includes('--upload-file') && command !== UPLOAD_PLAN_TXT);
      expect(uploads, engine).toEqual(
        commands.includes(UPLOAD_PLAN_JSON) ? [UPLOAD_PLAN_BIN, UPLOAD_PLAN_JSON] : [UPLOAD_PLAN_BIN],
      );
      const uploadsJson = uploads.includes(UPLOAD_PLAN_JSON);
      expect(parseBuildspec(plan).env?.['exported-variables'], engine).toEqual(
        uploadsJson
          ? ['PUSHGATE_PLAN_SHA256', 'PUSHGATE_PLAN_JSON_SHA256', 'PUSHGATE_PLAN_TXT_SHA256']
          : ['PUSHGATE_PLAN_SHA256', 'PUSHGATE_PLAN_TXT_SHA256'],
      );
      // plan.txt is the very last command: after every required upload succeeded.
      expect(commands.at(-1), engine).toBe(UPLOAD_PLAN_TXT);
      // Hashed in the build's own shell (not a subshell), after plan.bin exists and before its upload.
      const hash = commands.indexOf(HASH_PLAN_BIN);
      expect(hash, engine).toBeGreaterThan(0);
      expect(hash, engine).toBeLessThan(commands.indexOf(UPLOAD_PLAN_BIN));
      expect(commands.slice(0, hash).join('\n'), engine).toMatch(/plan\.bin/);
      if (uploadsJson) {
        const hashJson = commands.indexOf(HASH_PLAN_JSON);
        expect(hashJson, engine).toBeGreaterThan(0);
        expect(hashJson, engine).toBeLessThan(commands.indexOf(UPLOAD_PLAN_JSON));
      } else {
        expect(commands, engine).not.toContain(HASH_PLAN_JSON);
      }
      // The uploads are the last commands but the plan text's: reached only when everything before them succeeded.
      const required = commands.filter((command) => !command.includes('plan.txt'));
      expect(required.slice(-uploads.length), engine).toEqual(uploads);
      expect(commands.indexOf(uploads.at(-1)!), engine).toBeLessThan(commands.length - 1);
    }
    expect(parseBuildspec(plans.command).env?.['exported-variables']).toEqual([
      'PUSHGATE_PLAN_SHA256',
      'PUSHGATE_PLAN_TXT_SHA256',
    ]);
  });

  it('the hash command fails, rather than export an empty sha256, when plan.bin is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pushgate-hash-'));
    try {
      expect(() => execFileSync('bash', ['-c', HASH_PLAN_BIN], { cwd: empty, stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('no build touches the artifact bucket itself, nor prints an artifact URL', () => {
    for (const project of config.projects) {
      for (const environment of project.environments) {
        const { plan, apply } = buildspecsOf(project.name, environment);
        for (const text of [plan, apply!]) {
          const commands = commandsOf(text).join('\n');
          expect(commands).not.toMatch(/aws s3|s3:\/\/|PUSHGATE_ARTIFACT_BUCKET/);
          expect(commands).not.toMatch(/echo[^\n&;|]*PUSHGATE_PLAN_(BIN|JSON|TXT)_URL/);
          for (const command of commandsOf(text).filter((candidate) => candidate.includes('_URL'))) {
            expect([UPLOAD_PLAN_BIN, UPLOAD_PLAN_JSON, DOWNLOAD_PLAN_BIN, UPLOAD_PLAN_TXT]).toContain(command);
          }
        }
      }
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

describe('CloudFormation stack names', () => {
  const VALID = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

  it('start with the owner exactly as GitHub spells it (the IAM pattern <sourceOwner>-* relies on it)', () => {
    expect(defaultStackName('OctoCat/infra', 'network', 'prod')).toBe('OctoCat-infra-network-prod');
    expect(defaultStackName('my-org/infra', 'network', 'prod').startsWith('my-org-')).toBe(true);
  });

  it('replace what CloudFormation does not accept with "-" and collapse repeats', () => {
    expect(defaultStackName('acme/my_infra.repo', 'web_app', 'pre_prod')).toBe('acme-my-infra-repo-web-app-pre-prod');
    expect(defaultStackName('acme/.github--x', 'web', 'prod')).toBe('acme-github-x-web-prod');
    expect(cloudFormationStackName('a__b..c')).toBe('a-b-c');
  });

  it('start with a letter even when the owner does not', () => {
    const name = defaultStackName('1password/infra', 'web', 'prod');
    expect(name).toBe('gh-1password-infra-web-prod');
    expect(name).toMatch(VALID);
  });

  it('keep a readable prefix and a hash when too long, so distinct targets keep distinct stacks', () => {
    const repo = `acme/${'r'.repeat(100)}`;
    const a = defaultStackName(repo, 'p'.repeat(40), 'staging');
    const b = defaultStackName(repo, 'p'.repeat(40), 'staging2');
    const c = defaultStackName(repo, `${'p'.repeat(39)}_`, 'staging');
    for (const name of [a, b, c]) {
      expect(name).toMatch(VALID);
      expect(name).toHaveLength(128);
      expect(name.startsWith(`acme-${'r'.repeat(100)}-`)).toBe(true);
      expect(name).toMatch(/-[0-9a-f]{8}$/);
    }
    expect(new Set([a, b, c]).size).toBe(3);
    // The same target always gets the same stack.
    expect(defaultStackName(repo, 'p'.repeat(40), 'staging')).toBe(a);
  });

  it('are at most 128 characters and valid whatever the repository, project and environment', () => {
    for (const repo of ['a/b', 'A.B/c_d', '_x/-y-', `${'o'.repeat(39)}/${'n'.repeat(100)}`]) {
      for (const project of ['p', 'p_q', 'x'.repeat(64)]) {
        expect(defaultStackName(repo, project, 'e'.repeat(64))).toMatch(VALID);
      }
    }
  });
});
