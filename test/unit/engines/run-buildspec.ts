import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** test/fixtures/bin: the terraform, tofu and aws stand-ins. */
export const STAND_IN_BIN = fileURLToPath(new URL('../../fixtures/bin', import.meta.url));

interface Buildspec {
  version: number;
  env?: { shell?: string; variables?: Record<string, string>; 'exported-variables'?: string[] };
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
  /**
   * The buildspec's `exported-variables` as the shell held them after the last command, which is
   * when CodeBuild reads them; only when every command succeeded.
   */
  exported: Record<string, string>;
}

/** Marks the line that carries the exported variables, after everything the commands printed. */
const EXPORTED_MARKER = '::pushgate-test-exported::';

/**
 * Runs a buildspec with bash, the stand-ins first on PATH. Variables: the buildspec's own, then
 * `overrides` (as CodeBuild gives a start-build override precedence over the buildspec).
 */
export function runBuildspec(text: string, overrides: Record<string, string>): Promise<BuildResult> {
  const { env } = parseBuildspec(text);
  const variables = env?.variables ?? {};
  const names = env?.['exported-variables'] ?? [];
  // Read after the last command, in the commands' own shell, as CodeBuild reads them when the build ends.
  const readExported = names
    .map((name) => `\nprintf '%s%s=%s\\n' '${EXPORTED_MARKER}' ${name} "\${${name}-}"`)
    .join('');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${scriptOf(text)}${readExported}`], {
      env: { ...process.env, ...variables, ...overrides, PATH: `${STAND_IN_BIN}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const exported: Record<string, string> = {};
      const lines = stdout.split('\n');
      for (const line of lines.filter((candidate) => candidate.startsWith(EXPORTED_MARKER))) {
        const [name, ...value] = line.slice(EXPORTED_MARKER.length).split('=');
        exported[name!] = value.join('=');
      }
      stdout = lines.filter((line) => !line.startsWith(EXPORTED_MARKER)).join('\n');
      resolve({ code: code ?? -1, stdout, stderr, exported });
    });
  });
}
