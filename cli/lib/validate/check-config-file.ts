import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { text as readStream } from 'node:stream/consumers';
import { CliUsageError } from '../cli-usage-error.ts';
import { defaultBranchFromGit, repoFromGit } from './git-context.ts';
import { loadPolicy, type PolicyOptions, type ReadParameter } from './load-policy.ts';
import { validateConfig, type ConfigValidation, type PolicyContext } from './validate-config.ts';

export interface CheckOptions extends PolicyOptions {
  repo?: string | undefined;
  defaultBranch?: string | undefined;
}

/** What `pushgate validate --json` prints. */
export interface FileValidation extends ConfigValidation {
  file: string;
}

/** The text of `file` (`-`: standard input); a file that is not there is a usage error (exit 2). */
async function readConfigFile(file: string): Promise<string> {
  if (file === '-') return readStream(process.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? `no such file ${file}: run this at the root of your infrastructure repository, or name the file (pushgate validate path/to/pushgate.yml)`
        : code === 'EISDIR'
          ? `${file} is a directory: name the file (pushgate validate ${file.replace(/\/+$/, '')}/pushgate.yml)`
          : `cannot read ${file}: ${code ?? String(error)}`;
    throw new CliUsageError(reason, { cause: error });
  }
}

/**
 * Reads pushgate.yml and the platform policy (see load-policy.ts), works out the repository and its
 * default branch (flags, else the clone's origin), and checks the file (validate-config.ts).
 */
export async function checkConfigFile(
  file: string,
  options: CheckOptions,
  env: NodeJS.ProcessEnv = process.env,
  readParameter?: ReadParameter,
): Promise<FileValidation> {
  const text = await readConfigFile(file);
  const cwd = file === '-' ? process.cwd() : dirname(file);
  const lookup = await loadPolicy(options, env, readParameter);
  let policy: PolicyContext | { unavailable: string };
  if ('unavailable' in lookup) policy = lookup;
  else {
    const repo = options.repo ?? (await repoFromGit(cwd));
    const known = options.defaultBranch ?? (await defaultBranchFromGit(cwd))?.branch;
    policy =
      repo === undefined
        ? {
            unavailable: `which repository is this? The platform policy (${lookup.loaded.source}) has rules per repository: pass --repo <owner/name> or set PUSHGATE_REPO`,
          }
        : { loaded: lookup.loaded, repo, defaultBranch: known ?? 'main' };
  }
  return { file, ...validateConfig(text, policy) };
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * `pushgate.yml is valid: 3 projects, 2 environments`, or each problem as
 * `pushgate.yml:12:5 projects[0].engine: …`; then whether the platform policy was checked.
 */
export function formatValidation(file: string, result: ConfigValidation): string {
  const name = file === '-' ? 'pushgate.yml' : file;
  const lines: string[] = [];
  if (result.valid) {
    lines.push(
      `${name} is valid: ${plural(result.projects ?? 0, 'project')}, ${plural(result.environments ?? 0, 'environment')}`,
    );
  } else {
    for (const problem of result.problems) {
      const where = [name, problem.line, problem.column].filter((part) => part !== null).join(':');
      lines.push(`${where} ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
    }
    lines.push(`${name} has ${plural(result.problems.length, 'problem')}`);
  }
  const { policy } = result;
  lines.push(
    policy.checked
      ? `checked against the platform policy ${policy.source} for ${policy.repo} (default branch ${policy.defaultBranch})`
      : `the platform policy was not checked: ${policy.reason}`,
  );
  return `${lines.join('\n')}\n`;
}
