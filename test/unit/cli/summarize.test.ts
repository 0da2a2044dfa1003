import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TERRAFORM_PLANS = fileURLToPath(new URL('../../fixtures/terraform-plans/', import.meta.url));
const OWN_PLANS = fileURLToPath(new URL('../../fixtures/plans/', import.meta.url));

/** `node cli/bin.js …` as a user runs it: a real process, its exit code and both streams. */
function pushgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/bin.js', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

// Each test starts its own process, so they run side by side (with the test's own `expect`).
describe.concurrent('pushgate summarize', () => {
  it("prints a Terraform plan's summary in Terraform's words", async ({ expect }) => {
    const result = await pushgate('summarize', `${TERRAFORM_PLANS}identity.json`);
    expect(result).toEqual({
      code: 0,
      stdout: 'Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.\n',
      stderr: '',
    });
  });

  it('prints the summary object with --json, and never a sensitive value', async ({ expect }) => {
    const result = await pushgate('summarize', '--json', `${TERRAFORM_PLANS}110_sensitive_values.json`);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      add: 7,
      change: 0,
      destroy: 0,
      replace: 0,
      outputChanges: [
        'foo',
        'interpolated',
        'interpolated_deep',
        'list',
        'map',
        'referenced',
        'referenced_deep',
        'string',
      ],
      hasChanges: true,
    });
    // "bar" is the value of the sensitive output `foo`.
    expect(result.stdout).not.toContain('bar');
  });

  it('reads a CloudFormation change set', async ({ expect }) => {
    const result = await pushgate('summarize', `${OWN_PLANS}cloudformation-change-set.json`);
    expect(result.stdout).toBe('Plan: 2 to add, 3 to change, 2 to destroy. (1 to replace, 1 to forget)\n');
  });

  it.for<[string, string, RegExp]>([
    ['a file that is not JSON', `${TERRAFORM_PLANS}invalid.json`, /^not valid JSON \(error at position \d+\)$/],
    ['a missing file', `${OWN_PLANS}does-not-exist.json`, /^no such file$/],
    ['JSON that is not a plan', `${OWN_PLANS}terraform-state.json`, /^this is Terraform state/],
  ])('refuses %s with one line on stderr and exit code 2', async ([, file, reason], { expect }) => {
    const result = await pushgate('summarize', file);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const prefix = `pushgate: ${file} is not a plan: `;
    expect(lines[0]!.startsWith(prefix)).toBe(true);
    expect(lines[0]!.slice(prefix.length)).toMatch(reason);
  });

  it('prints the version', async ({ expect }) => {
    const result = await pushgate('--version');
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
