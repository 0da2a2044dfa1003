import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalRepository, type LocalRepository } from '../../../../local/git/local-repository.ts';

export { git, GIT_ENV } from '../../../../local/git/local-repository.ts';
export type RepoFixture = LocalRepository;

export async function createRepoFixture(): Promise<RepoFixture> {
  return createLocalRepository(await mkdtemp(join(tmpdir(), 'pushgate-git-')));
}
