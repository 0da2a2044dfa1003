import { createHash } from 'node:crypto';
import type { FileChange, GitCommit, GitPerson, TreeEntry } from './git-repository.ts';

/**
 * GitHub REST response bodies for the fields Octokit users read, built from git data.
 * https://docs.github.com/en/rest
 */
export interface JsonContext {
  /** The API base, e.g. `http://127.0.0.1:4000`. */
  api: string;
  owner: string;
  repo: string;
  /** Email → login, to link commits to users as GitHub does (unlinked commits have a null user). */
  logins: Record<string, string>;
}

export const DOCS = 'https://docs.github.com/rest';

/** A stable positive integer for a name, so ids do not change between requests or runs. */
export function stableId(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) & 0x7fffffff;
}

export function userJson(api: string, login: string, type: 'User' | 'Bot' = 'User') {
  const id = stableId(`user:${login}`);
  return {
    login,
    id,
    node_id: Buffer.from(`04:${type}${id}`).toString('base64'),
    avatar_url: '',
    gravatar_id: '',
    url: `${api}/users/${encodeURIComponent(login)}`,
    html_url: `${api}/${encodeURIComponent(login)}`,
    type,
    site_admin: false,
  };
}

export function repoJson(ctx: JsonContext, defaultBranch: string, clonePath: string) {
  const full = `${ctx.owner}/${ctx.repo}`;
  const id = stableId(`repo:${full}`);
  return {
    id,
    node_id: Buffer.from(`010:Repository${id}`).toString('base64'),
    name: ctx.repo,
    full_name: full,
    private: false,
    owner: userJson(ctx.api, ctx.owner),
    html_url: `${ctx.api}/${full}`,
    description: null,
    fork: false,
    url: `${ctx.api}/repos/${full}`,
    clone_url: clonePath,
    default_branch: defaultBranch,
    visibility: 'public',
    archived: false,
    disabled: false,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
  };
}

function personJson(person: GitPerson) {
  return { name: person.name, email: person.email, date: person.date };
}

export function commitJson(ctx: JsonContext, commit: GitCommit) {
  const base = `${ctx.api}/repos/${ctx.owner}/${ctx.repo}`;
  const html = `${ctx.api}/${ctx.owner}/${ctx.repo}`;
  const linked = (email: string) => (ctx.logins[email] ? userJson(ctx.api, ctx.logins[email]) : null);
  return {
    sha: commit.sha,
    node_id: Buffer.from(`06:Commit${commit.sha}`).toString('base64'),
    commit: {
      author: personJson(commit.author),
      committer: personJson(commit.committer),
      message: commit.message,
      tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
      url: `${base}/git/commits/${commit.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    url: `${base}/commits/${commit.sha}`,
    html_url: `${html}/commit/${commit.sha}`,
    comments_url: `${base}/commits/${commit.sha}/comments`,
    author: linked(commit.author.email),
    committer: linked(commit.committer.email),
    parents: commit.parents.map((sha) => ({ sha, url: `${base}/commits/${sha}`, html_url: `${html}/commit/${sha}` })),
  };
}

export function fileJson(ctx: JsonContext, change: FileChange, ref: string) {
  const base = `${ctx.api}/repos/${ctx.owner}/${ctx.repo}`;
  const html = `${ctx.api}/${ctx.owner}/${ctx.repo}`;
  const path = encodePath(change.filename);
  return {
    sha: change.sha,
    filename: change.filename,
    status: change.status,
    additions: change.additions,
    deletions: change.deletions,
    changes: change.changes,
    blob_url: `${html}/blob/${ref}/${path}`,
    raw_url: `${html}/raw/${ref}/${path}`,
    contents_url: `${base}/contents/${path}?ref=${ref}`,
    ...(change.previous_filename === undefined ? {} : { previous_filename: change.previous_filename }),
  };
}

/** One entry of a directory listing, or the head of a file's content object. */
export function contentEntryJson(ctx: JsonContext, entry: TreeEntry, ref: string) {
  const base = `${ctx.api}/repos/${ctx.owner}/${ctx.repo}`;
  const html = `${ctx.api}/${ctx.owner}/${ctx.repo}`;
  const path = encodePath(entry.path);
  const type =
    entry.type === 'tree'
      ? 'dir'
      : entry.type === 'commit'
        ? 'submodule'
        : entry.mode === '120000'
          ? 'symlink'
          : 'file';
  const self = `${base}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = `${base}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`;
  const htmlUrl = `${html}/${entry.type === 'tree' ? 'tree' : 'blob'}/${ref}/${path}`;
  return {
    type,
    size: entry.size ?? 0,
    name: entry.path.split('/').pop() ?? '',
    path: entry.path,
    sha: entry.sha,
    url: self,
    git_url: gitUrl,
    html_url: htmlUrl,
    download_url: type === 'file' ? `${html}/raw/${ref}/${path}` : null,
    _links: { self, git: gitUrl, html: htmlUrl },
  };
}

/** GitHub wraps base64 file content at 60 characters. */
export function wrappedBase64(content: Buffer): string {
  return (
    content
      .toString('base64')
      .match(/.{1,60}/g)
      ?.join('\n')
      .concat('\n') ?? ''
  );
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
