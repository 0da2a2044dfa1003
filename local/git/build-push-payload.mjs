// Plain JavaScript (types in build-push-payload.d.mts, re-exported by push-payload.ts) because the
// post-receive hook runs it with bare `node`.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { runGit, gitSucceeds } from './run-git.mjs';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** GitHub puts at most 2048 commits in a push payload. https://docs.github.com/en/webhooks/webhook-events-and-payloads#push */
const MAX_COMMITS = 2048;

const FIELD = '\x1f';
const RECORD = '\x1e';
// Author date, as `git log` shows it; the message is last because it may span lines.
const FORMAT = ['%H', '%T', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x1f');

/**
 * A payload shaped like GitHub's `push` event, built from a local bare repository after the refs were
 * updated (a post-receive hook, or a test after `git push`).
 */
export async function buildPushPayload(options) {
  const { bareRepo, repoFullName, ref, before, after } = options;
  const [owner = repoFullName, name = repoFullName] = repoFullName.split('/');
  const htmlUrl = options.htmlUrl ?? `https://github.com/${repoFullName}`;
  const created = before === ZERO_SHA;
  const deleted = after === ZERO_SHA;
  const logins = options.logins ?? {};
  const toCommit = (c) => commitPayload(c, htmlUrl, logins);

  let commits = [];
  let headCommit = null;
  if (!deleted) {
    // New on this ref: not on any other ref (`--all` would also list HEAD, which may point here).
    const range = created ? [after, '--not', `--exclude=${ref}`, '--glob=refs/*'] : [`${before}..${after}`];
    commits = await readCommits(bareRepo, [`--max-count=${MAX_COMMITS}`, ...range]);
    commits.reverse();
    headCommit = commits.at(-1)?.id === after ? commits.at(-1) : (await readCommits(bareRepo, ['-1', after]))[0];
  }
  const forced = !created && !deleted && !(await isAncestor(bareRepo, before, after));
  // GitHub's pusher.name is the pusher's login; locally the head commit's committer is the best guess.
  const pusher =
    options.pusher ?? (headCommit ? loginOf(headCommit.committerName, headCommit.committerEmail, logins) : localUser());
  const senderLogin = options.sender ?? pusher.name;
  const defaultBranch = options.defaultBranch ?? (await readDefaultBranch(bareRepo));
  const createdAt = Math.floor((await stat(bareRepo)).birthtimeMs / 1000) || Math.floor(Date.now() / 1000);
  const now = Math.floor(Date.now() / 1000);

  return {
    ref,
    before,
    after,
    created,
    deleted,
    forced,
    base_ref: null,
    compare: compareUrl({ htmlUrl, ref, before, after, created, deleted, commits }),
    commits: commits.map(toCommit),
    head_commit: headCommit ? toCommit(headCommit) : null,
    repository: repositoryPayload({
      owner,
      name,
      repoFullName,
      htmlUrl,
      cloneUrl: options.cloneUrl ?? `${htmlUrl}.git`,
      defaultBranch,
      isPrivate: options.private ?? false,
      createdAt,
      pushedAt: now,
    }),
    pusher: { name: pusher.name, email: pusher.email },
    sender: userPayload(senderLogin),
  };
}

/** Commits with the paths each one added, removed and modified against its first parent. */
async function readCommits(bareRepo, args) {
  const out = await runGit(bareRepo, [
    'log',
    '-z',
    '--name-status',
    '--no-renames',
    '--diff-merges=first-parent',
    `--format=${RECORD}${FORMAT}`,
    ...args,
  ]);
  return out
    .split(RECORD)
    .filter((record) => record !== '')
    .map((record) => {
      const end = record.indexOf('\0');
      const header = end === -1 ? record : record.slice(0, end);
      const [id, treeId, authorName, authorEmail, timestamp, committerName, committerEmail, , message = ''] =
        header.split(FIELD);
      const changes =
        end === -1
          ? []
          : record
              .slice(end + 1)
              .replace(/^\n/, '')
              .split('\0')
              .filter((part) => part !== '');
      const added = [];
      const removed = [];
      const modified = [];
      for (let i = 0; i + 1 < changes.length; i += 2) {
        const [status, path] = [changes[i], changes[i + 1]];
        if (status === 'A') added.push(path);
        else if (status === 'D') removed.push(path);
        else modified.push(path);
      }
      return {
        id,
        treeId,
        authorName,
        authorEmail,
        timestamp,
        committerName,
        committerEmail,
        message: message.trimEnd(),
        added,
        removed,
        modified,
      };
    });
}

function commitPayload(commit, htmlUrl, logins) {
  return {
    id: commit.id,
    tree_id: commit.treeId,
    distinct: true,
    message: commit.message,
    timestamp: commit.timestamp,
    url: `${htmlUrl}/commit/${commit.id}`,
    author: {
      name: commit.authorName,
      email: commit.authorEmail,
      username: logins[commit.authorEmail] ?? toLogin(commit.authorName),
    },
    committer: {
      name: commit.committerName,
      email: commit.committerEmail,
      username: logins[commit.committerEmail] ?? toLogin(commit.committerName),
    },
    added: commit.added,
    removed: commit.removed,
    modified: commit.modified,
  };
}

/** GitHub's forms: `/commit/<sha>` for a new branch of one commit, `/compare/<a>...<b>` otherwise. */
function compareUrl({ htmlUrl, ref, before, after, created, deleted, commits }) {
  const short = (sha) => sha.slice(0, 12);
  if (created) {
    if (ref.startsWith('refs/tags/')) return `${htmlUrl}/compare/${ref.slice('refs/tags/'.length)}`;
    if (commits.length <= 1) return `${htmlUrl}/commit/${after}`;
    return `${htmlUrl}/compare/${short(commits[0].id)}^...${short(after)}`;
  }
  if (deleted) return `${htmlUrl}/compare/${short(before)}...${short(ZERO_SHA)}`;
  return `${htmlUrl}/compare/${short(before)}...${short(after)}`;
}

async function isAncestor(bareRepo, before, after) {
  try {
    return await gitSucceeds(bareRepo, ['merge-base', '--is-ancestor', before, after]);
  } catch {
    // `before` is gone from the repository: nothing links the two, as after a force push.
    return false;
  }
}

async function readDefaultBranch(bareRepo) {
  try {
    return (await runGit(bareRepo, ['symbolic-ref', '--short', 'HEAD'])).trim();
  } catch {
    return 'main';
  }
}

/** A stable positive id per name, so the same repository has the same id in every payload. */
function stableId(text) {
  return createHash('sha256').update(text).digest().readUInt32BE(0) & 0x7fffffff;
}

function toLogin(name) {
  return (
    String(name)
      .trim()
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'local-user'
  );
}

function loginOf(name, email, logins) {
  return { name: logins[email] ?? toLogin(name), email };
}

function localUser() {
  const name = userInfo().username;
  return { name, email: `${name}@localhost` };
}

function userPayload(login) {
  const id = stableId(`user:${login}`);
  return {
    login,
    id,
    node_id: Buffer.from(`04:User${id}`).toString('base64'),
    avatar_url: '',
    gravatar_id: '',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
  };
}

function repositoryPayload({
  owner,
  name,
  repoFullName,
  htmlUrl,
  cloneUrl,
  defaultBranch,
  isPrivate,
  createdAt,
  pushedAt,
}) {
  const id = stableId(`repo:${repoFullName}`);
  const ownerUser = userPayload(owner);
  return {
    id,
    node_id: Buffer.from(`010:Repository${id}`).toString('base64'),
    name,
    full_name: repoFullName,
    private: isPrivate,
    owner: { name: owner, email: null, ...ownerUser },
    html_url: htmlUrl,
    description: null,
    fork: false,
    // In push payloads (only) GitHub sends the web URL here and epoch seconds for created_at / pushed_at.
    url: htmlUrl,
    created_at: createdAt,
    updated_at: new Date(pushedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    pushed_at: pushedAt,
    clone_url: cloneUrl,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: false,
    has_projects: false,
    has_downloads: false,
    has_wiki: false,
    has_pages: false,
    forks_count: 0,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: defaultBranch,
    stargazers: 0,
    master_branch: defaultBranch,
    is_template: false,
    topics: [],
    visibility: isPrivate ? 'private' : 'public',
    web_commit_signoff_required: false,
  };
}
