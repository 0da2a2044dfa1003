import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd, timeout: 5000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined; // not a repository, no such ref, no git: the caller says what it assumed
  }
}

/** `acme/infra` of a GitHub remote URL (`git@github.com:acme/infra.git`, `https://github.com/acme/infra`). */
export function repoOfRemote(url: string): string | undefined {
  const match =
    /^(?:git@github\.com:|(?:https?|ssh):\/\/(?:[^@/]+@)?github\.com\/)([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/i.exec(url);
  return match?.[1];
}

/** The repository of `origin` when it is on github.com. */
export async function repoFromGit(cwd: string): Promise<string | undefined> {
  const url = await git(cwd, ['remote', 'get-url', 'origin']);
  return url === undefined ? undefined : repoOfRemote(url);
}

/**
 * The repository's default branch as this clone knows it: `origin/HEAD` (set by `git clone`), else
 * `init.defaultBranch`; with where it came from, for the report. Undefined when git knows neither.
 */
export async function defaultBranchFromGit(cwd: string): Promise<{ branch: string; from: string } | undefined> {
  const head = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  if (head?.startsWith('origin/')) return { branch: head.slice('origin/'.length), from: 'origin/HEAD' };
  const configured = await git(cwd, ['config', '--get', 'init.defaultBranch']);
  if (configured) return { branch: configured, from: 'init.defaultBranch' };
  return undefined;
}
