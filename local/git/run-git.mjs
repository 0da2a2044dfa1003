// Plain JavaScript (with types in run-git.d.mts) because the post-receive hook runs it with bare
// `node`, without tsx; the TypeScript stand-ins share it.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** A git command failed; `exitCode` tells "answered no" (e.g. 1 from `merge-base --is-ancestor`) from a crash. */
export class GitCommandError extends Error {
  constructor(args, exitCode, stderr, options) {
    super(`git ${args.join(' ')} failed (${exitCode}): ${String(stderr).trim()}`, options);
    this.name = 'GitCommandError';
    this.exitCode = exitCode;
    this.stderr = String(stderr);
  }
}

/**
 * Runs git against one repository, without a shell. GIT_DIR and GIT_WORK_TREE from the caller's
 * environment are dropped: inside a hook git sets them (relative to the hook's cwd), and they would
 * override `--git-dir`.
 */
export function runGit(gitDir, args, options = {}) {
  const env = { ...process.env, ...options.env };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  const fullArgs = ['--git-dir', resolve(gitDir), '-c', 'core.quotePath=false', ...args];
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      fullArgs,
      { env, encoding: options.encoding ?? 'utf8', maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const exitCode = typeof error.code === 'number' ? error.code : -1;
          reject(new GitCommandError(args, exitCode, stderr, { cause: error }));
          return;
        }
        resolvePromise(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a git command that answers yes/no by exit code (0 / 1); other codes are errors. */
export async function gitSucceeds(gitDir, args) {
  try {
    await runGit(gitDir, args);
    return true;
  } catch (error) {
    if (error instanceof GitCommandError && error.exitCode === 1) return false;
    throw error;
  }
}
