import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A git repository with one commit per entry of `commits` (path → content); returns the shas in order. */
export function createGitRepo(dir: string, commits: Array<Record<string, string>>): string[] {
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-c', 'user.name=pushgate-test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    ).trim();
  mkdirSync(dir, { recursive: true });
  git('init', '--quiet');
  return commits.map((files, index) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    git('add', '--all');
    git('commit', '--quiet', '-m', `commit ${index + 1}`);
    return git('rev-parse', 'HEAD');
  });
}

/** Whether a process is alive; a zombie (dead, not yet reaped by its new parent) is not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z' && state !== 'X';
}

/** Polls `check` until it holds; fails with `what` if it never does within `limitMs`. */
export async function eventually(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
