import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runIdsIn } from '../../../local/git/hooked-repository.ts';
import { git } from '../../../local/git/local-repository.ts';

/** A user's working copy with `pushgate dev`'s remote added as `pushgate`. */
export interface WorkClone {
  dir: string;
  /** Writes (string) or deletes (null) files and commits them; returns the new sha. */
  commit(files: Record<string, string | null>, message: string): Promise<string>;
  /**
   * `git push pushgate HEAD:<ref>` (a branch name, or a full `refs/…` name); returns what the
   * remote said and the run ids the post-receive hook reported.
   */
  push(ref: string): Promise<{ output: string; runIds: string[] }>;
}

export async function workClone(dir: string, remote: string): Promise<WorkClone> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '--quiet', '--initial-branch=main');
  await git(dir, 'remote', 'add', 'pushgate', remote);
  return {
    dir,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        if (content === null) {
          await git(dir, 'rm', '--quiet', path);
          continue;
        }
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      await git(dir, 'add', '--all');
      await git(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
      return (await git(dir, 'rev-parse', 'HEAD')).stdout.trim();
    },
    async push(ref) {
      const target = ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
      const { stdout, stderr } = await git(dir, 'push', 'pushgate', `HEAD:${target}`);
      const output = `${stdout}${stderr}`;
      return { output, runIds: runIdsIn(output) };
    },
  };
}

/** Pushes and returns the one run id the hook reported, or throws with what the remote said. */
export async function pushOneRun(clone: WorkClone, ref: string): Promise<string> {
  const { output, runIds } = await clone.push(ref);
  if (runIds.length !== 1) throw new Error(`expected the push to start one run; the remote said:\n${output}`);
  return runIds[0]!;
}
