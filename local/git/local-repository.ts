import { execFile } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Commits get a fixed identity and no user or system git config leaks in (hooksPath, signing, …). */
export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Mona Lisa',
  GIT_AUTHOR_EMAIL: 'mona@example.com',
  GIT_COMMITTER_NAME: 'Mona Lisa',
  GIT_COMMITTER_EMAIL: 'mona@example.com',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

export async function git(cwd: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec('git', args, { cwd, env: GIT_ENV, maxBuffer: 16 * 1024 * 1024 });
}

export interface LocalRepository {
  root: string;
  /** The bare repository: "GitHub's" copy, which the local GitHub serves and CodeBuild clones. */
  bare: string;
  /** A clone to commit in and push from. */
  work: string;
  /** Writes (string) or deletes (null) files, commits them all, returns the new sha. */
  commit(files: Record<string, string | null>, message: string): Promise<string>;
  push(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  sha(ref?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * A bare repository and a working clone under `root`, optionally seeded (not yet committed) with a
 * template directory such as `examples/infra-repo`.
 */
export async function createLocalRepository(
  root: string,
  options: { template?: string; name?: string } = {},
): Promise<LocalRepository> {
  const bare = join(root, `${options.name ?? 'infra'}.git`);
  const work = join(root, 'work');
  await mkdir(root, { recursive: true });
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  await git(root, 'init', '--quiet', '--initial-branch=main', work);
  await git(work, 'remote', 'add', 'origin', bare);
  if (options.template) await cp(options.template, work, { recursive: true });
  return {
    root,
    bare,
    work,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(work, path);
        if (content === null) {
          await git(work, 'rm', '--quiet', path);
        } else {
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, content);
        }
      }
      await git(work, 'add', '--all');
      await git(work, 'commit', '--quiet', '-m', message);
      return (await git(work, 'rev-parse', 'HEAD')).stdout.trim();
    },
    push: (...args) => git(work, 'push', ...args),
    sha: async (ref = 'HEAD') => (await git(work, 'rev-parse', ref)).stdout.trim(),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
