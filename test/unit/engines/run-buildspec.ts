import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** test/fixtures/bin: the terraform, tofu and aws stand-ins. */
export const STAND_IN_BIN = fileURLToPath(new URL('../../fixtures/bin', import.meta.url));

interface Buildspec {
  version: number;
  env?: { shell?: string; variables?: Record<string, string> };
  phases: Record<string, { commands?: string[] } | undefined>;
}

export function parseBuildspec(text: string): Buildspec {
  return parse(text) as Buildspec;
}

export function commandsOf(text: string): string[] {
  const { phases } = parseBuildspec(text);
  return ['install', 'pre_build', 'build', 'post_build'].flatMap((phase) => phases[phase]?.commands ?? []);
}

/**
 * One bash script that runs a buildspec's commands the way CodeBuild does: in order, in one shell
 * (a `cd` holds), stopping at the first command that fails.
 */
export function scriptOf(text: string): string {
  return commandsOf(text)
    .map((command) => `{\n${command}\n} || exit $?`)
    .join('\n');
}

export interface BuildResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a buildspec with bash, the stand-ins first on PATH. Variables: the buildspec's own, then
 * `overrides` (as CodeBuild gives a start-build override precedence over the buildspec).
 */
export function runBuildspec(text: string, overrides: Record<string, string>): Promise<BuildResult> {
  const variables = parseBuildspec(text).env?.variables ?? {};
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', scriptOf(text)], {
      env: { ...process.env, ...variables, ...overrides, PATH: `${STAND_IN_BIN}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
