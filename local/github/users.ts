import { randomBytes } from 'node:crypto';

/** A repository role, strongest last. https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user */
export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

/** A person using the local GitHub with a personal access token: requests with `token` act as `login`. */
export interface LocalUser {
  login: string;
  /** The role on every repository of the local GitHub. */
  role: Role;
  token: string;
}

/** A random token shaped like a GitHub personal access token (`ghp_` and 36 characters). */
export function localUserToken(): string {
  return `ghp_${randomBytes(18).toString('hex')}`;
}

/**
 * The people `pushgate dev` starts with, each with a fresh random token: an admin, two writers (may
 * merge and run commands; two, so that one can push and the other approve) and a reader (may
 * comment, may not merge).
 */
export function defaultLocalUsers(): LocalUser[] {
  return [
    { login: 'alice-admin', role: 'admin', token: localUserToken() },
    { login: 'bob-writer', role: 'write', token: localUserToken() },
    { login: 'dave-writer', role: 'write', token: localUserToken() },
    { login: 'carol-reader', role: 'read', token: localUserToken() },
  ];
}
