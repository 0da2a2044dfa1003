import { Octokit } from '@octokit/rest';
import type { DevUser } from '../../../local/dev-server.ts';
import { git } from '../../../local/git/local-repository.ts';
import type { DevSession } from './dev-session.ts';
import type { WorkClone } from './work-clone.ts';

// The same helpers as test/e2e/pull-request.test.ts exports: importing a test file would register
// its tests in the importing file too, so they live here for other files.

export interface People {
  alice: DevUser;
  bob: DevUser;
  dave: DevUser;
  carol: DevUser;
}

/** The local GitHub's people, as `pushgate dev --json` printed them. */
export function people(session: DevSession): People {
  const find = (login: string) => {
    const user = session.dev.info.github.users.find((candidate) => candidate.login === login);
    if (!user) throw new Error(`pushgate dev --json has no user ${login}`);
    return user;
  };
  return {
    alice: find('alice-admin'),
    bob: find('bob-writer'),
    dave: find('dave-writer'),
    carol: find('carol-reader'),
  };
}

/** Octokit on the local GitHub acting as `user`. */
export function octokitAs(session: DevSession, user: DevUser): Octokit {
  return new Octokit({ auth: user.token, baseUrl: session.dev.info.endpoints.github });
}

/** Commits in `clone` are authored and committed by `user` from now on: their pushes are theirs. */
export async function commitAs(clone: WorkClone, user: DevUser): Promise<void> {
  await git(clone.dir, 'config', 'user.name', user.login);
  await git(clone.dir, 'config', 'user.email', user.email);
}

export function split(repo: string): { owner: string; repo: string } {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, repo: name };
}
