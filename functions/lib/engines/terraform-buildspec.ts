import type { RunRequest } from '../workflow/contract.ts';
import { buildVariables, script } from './build-steps.ts';
import type { BuildTarget, Buildspecs, EngineOptions } from './engine-types.ts';
import type { PlanArtifactFile } from './plan-exports.ts';
import { expandEnv } from './expand-env.ts';
import { planAndApply } from './plan-and-apply.ts';
import { shellQuote } from './shell-quote.ts';

const ARTIFACTS: PlanArtifactFile[] = ['plan.bin', 'plan.json'];

export type TerraformTool = 'terraform' | 'tofu';

/** Official release archives, each next to a SHA256SUMS file. */
const RELEASES: Record<TerraformTool, (version: string) => { base: string; sums: string }> = {
  // https://releases.hashicorp.com/terraform/
  terraform: (version) => ({
    base: `https://releases.hashicorp.com/terraform/${version}`,
    sums: `terraform_${version}_SHA256SUMS`,
  }),
  // https://github.com/opentofu/opentofu/releases
  tofu: (version) => ({
    base: `https://github.com/opentofu/opentofu/releases/download/v${version}`,
    sums: `tofu_${version}_SHA256SUMS`,
  }),
};

/**
 * Terraform (and OpenTofu, the same CLI): `terraform validate` before the plan, the plan saved to
 * plan.bin and shown as JSON for Summarize; apply takes exactly that saved plan.
 * https://developer.hashicorp.com/terraform/tutorials/automation/automate-terraform
 */
export function terraformBuildspec(
  target: BuildTarget,
  options: EngineOptions,
  run: RunRequest,
  planOnly: boolean,
  tool: TerraformTool = 'terraform',
): Buildspecs {
  const settings = options.project.terraform ?? {};
  const workspace = expandEnv(settings.workspace ?? '{env}', target.environment);
  const varFiles = (settings.varFiles ?? []).map(
    (file) => `-var-file=${shellQuote(expandEnv(file, target.environment))}`,
  );
  // TF_IN_AUTOMATION trims advice meant for humans at a terminal; TF_INPUT=0 never waits for input.
  const variables = buildVariables(target, options, run, { TF_IN_AUTOMATION: '1', TF_INPUT: '0' });
  const install = settings.version === undefined ? undefined : installCommands(tool, settings.version);
  const prepare = [
    `${tool} init -input=false -no-color`,
    `${tool} workspace select -or-create ${shellQuote(workspace)}`,
  ];

  return planAndApply(
    {
      variables,
      ...(install ? { install } : {}),
      dir: target.dir,
      plan: [
        ...prepare,
        `${tool} validate -no-color`,
        [`${tool} plan -input=false -no-color -lock-timeout=5m -out=plan.bin`, ...varFiles].join(' '),
        `${tool} show -json plan.bin > plan.json`,
      ],
      artifacts: ARTIFACTS,
      // What `terraform plan` printed, again from the saved plan: sensitive values show as (sensitive value).
      planText: [`${tool} show -no-color plan.bin > plan.txt`],
      apply: [...prepare, `${tool} apply -input=false -no-color -lock-timeout=5m plan.bin`],
    },
    planOnly,
  );
}

/**
 * Downloads the release, checks it against its SHA256SUMS and unzips the tool into a fresh directory
 * under $TMPDIR (or /tmp) put first on PATH: Lambda compute builds can write nowhere else and have no
 * root, EC2 builds do the same. The directory and PATH are set in the build's own shell (CodeBuild
 * keeps one shell for every phase), the download runs in a strict-mode subshell.
 */
function installCommands(tool: TerraformTool, version: string): string[] {
  const { base, sums } = RELEASES[tool](version);
  return [
    'PUSHGATE_TOOLS_DIR="$(mktemp -d)" && export PATH="$PUSHGATE_TOOLS_DIR:$PATH"',
    script([
      'case "$(uname -m)" in',
      '  x86_64) arch=amd64 ;;',
      '  aarch64 | arm64) arch=arm64 ;;',
      '  *) echo "no release for machine $(uname -m)" >&2; exit 1 ;;',
      'esac',
      `base=${shellQuote(base)}`,
      `zip=${shellQuote(`${tool}_${version}_linux_`)}"$arch.zip"`,
      'cd "$(mktemp -d)"',
      'curl -fsSL -o "$zip" "$base/$zip"',
      `curl -fsSL -o SHA256SUMS "$base/"${shellQuote(sums)}`,
      'grep " $zip\\$" SHA256SUMS | sha256sum -c -',
      `unzip -o -q "$zip" ${tool} -d "$PUSHGATE_TOOLS_DIR"`,
    ]),
    `${tool} version`,
  ];
}
