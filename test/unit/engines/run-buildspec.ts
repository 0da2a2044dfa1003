import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { parse } from 'yaml';
import type { RunningS3 } from '../../helpers/s3.ts';

/** test/fixtures/bin: the terraform and tofu stand-ins (its aws is shadowed by LOCAL_AWS_BIN). */
export const STAND_IN_BIN = fileURLToPath(new URL('../../fixtures/bin', import.meta.url));
/**
 * local/codebuild/bin: the aws stand-in of pushgate's local CodeBuild, which implements
 * `aws sts assume-role` (printing `local aws stand-in: assume-role <arn> as <session>` on stderr).
 * Builds reach S3 only through presigned URLs, with curl: it gets no S3 endpoint, so an
 * `aws s3 cp` would fail the build.
 */
export const LOCAL_AWS_BIN = fileURLToPath(new URL('../../../local/codebuild/bin', import.meta.url));

/**
 * What a build inherits from the test process' environment: nothing of AWS (credentials, endpoints,
 * profiles), as a CodeBuild container has only what the build is given; so that what a test sees
 * of AWS_SESSION_TOKEN and the like is what the buildspec did.
 */
function inheritedEnvironment(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

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
 * Runs a buildspec with bash, the stand-ins first on PATH (the local CodeBuild's aws, then
 * terraform and tofu). Variables: the buildspec's own, then `overrides` (as CodeBuild gives a
 * start-build override precedence over the buildspec); no AWS_* variable of the test process.
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
      env: {
        ...inheritedEnvironment(),
        ...variables,
        ...overrides,
        PATH: `${LOCAL_AWS_BIN}:${STAND_IN_BIN}:${process.env.PATH ?? ''}`,
      },
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

/** The S3 key of a target's artifact, as the workflow presigns it. */
export function artifactKey(target: { artifactPrefix: string }, file: 'plan.bin' | 'plan.json' | 'plan.txt'): string {
  return `${target.artifactPrefix}/${file}`;
}

/**
 * The overrides the workflow gives a build for the target's artifacts: presigned URLs of the local
 * S3, signed by the helper's own client (its credentials, the only ones the server accepts, and
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`, without which a PUT URL would demand a checksum
 * curl does not send). A plan build gets PUT URLs of plan.bin, plan.json and plan.txt (AcquireLock's), an
 * apply build the GET URL of plan.bin only (PrepareApply's).
 */
export async function artifactUrls(
  s3: RunningS3,
  target: { artifactPrefix: string },
  build: 'plan' | 'apply',
): Promise<Record<string, string>> {
  const presign = (command: PutObjectCommand | GetObjectCommand) =>
    getSignedUrl(s3.client, command, { expiresIn: 900 });
  const object = (file: 'plan.bin' | 'plan.json' | 'plan.txt') => ({
    Bucket: s3.bucket,
    Key: artifactKey(target, file),
  });
  if (build === 'apply') {
    return { PUSHGATE_PLAN_BIN_URL: await presign(new GetObjectCommand(object('plan.bin'))) };
  }
  return {
    PUSHGATE_PLAN_BIN_URL: await presign(new PutObjectCommand(object('plan.bin'))),
    PUSHGATE_PLAN_JSON_URL: await presign(new PutObjectCommand(object('plan.json'))),
    PUSHGATE_PLAN_TXT_URL: await presign(new PutObjectCommand(object('plan.txt'))),
  };
}
