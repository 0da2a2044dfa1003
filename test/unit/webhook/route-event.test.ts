import { describe, expect, it } from 'vitest';
import { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { parseEvent } from '../../../functions/lib/webhook/parse-event.ts';
import { routeEvent } from '../../../functions/lib/webhook/route-event.ts';
import type { Route } from '../../../functions/lib/webhook/route-event.ts';
import { githubExample } from '../../helpers/github-examples.ts';
import type { ExamplePayload } from '../../helpers/github-examples.ts';

const context = {
  deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  runId: '01J0000000000000000000000A',
  receivedAt: '2025-01-01T00:00:00.000Z',
};
const route = (name: string, payload: ExamplePayload): Route =>
  routeEvent(parseEvent(name, JSON.stringify(payload)), context);
const ignoredReason = (result: Route) =>
  'ignored' in result
    ? result.ignored
    : 'command' in result
      ? `command ${result.command.command}`
      : `started ${result.kind}`;

const branchPush = () => githubExample('push', (p) => p.ref === 'refs/heads/master' && p.head_commit);
const pullRequest = (action = 'opened'): ExamplePayload => ({
  ...githubExample('pull_request', (p) => p.action === 'opened'),
  action,
});
function prComment(body: string, action = 'created') {
  const payload = githubExample('issue_comment', (p) => p.action === 'created');
  payload.action = action;
  payload.issue.pull_request = {
    url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1',
    html_url: 'https://github.com/Codertocat/Hello-World/pull/1',
  };
  payload.comment.body = body;
  return payload;
}

describe('routeEvent: push', () => {
  it('starts a deploy for a push to a branch', () => {
    const payload = branchPush();
    payload.before = 'a'.repeat(40);
    const result = route('push', payload);
    expect(result).toEqual({
      kind: 'push',
      request: {
        ...context,
        kind: 'push',
        repo: 'Codertocat/Hello-World',
        defaultBranch: 'master',
        ref: 'refs/heads/master',
        branch: 'master',
        sha: payload.after,
        before: 'a'.repeat(40),
        actor: 'Codertocat',
        commitMessage: 'Initial commit',
      },
    });
    expect(() => RunRequest.parse((result as { request: unknown }).request)).not.toThrow();
  });

  it('keeps the slashes of a nested branch name', () => {
    const payload = branchPush();
    payload.ref = 'refs/heads/release/2025-01';
    expect(route('push', payload)).toMatchObject({
      kind: 'push',
      request: { branch: 'release/2025-01', ref: 'refs/heads/release/2025-01' },
    });
  });

  it('takes the pusher when the payload has no sender', () => {
    const payload = branchPush();
    delete payload.sender;
    payload.pusher.name = 'someone';
    expect(route('push', payload)).toMatchObject({ request: { actor: 'someone' } });
  });

  it.each(['[skip deploy]', '[Skip Deploy]'])('ignores a push whose head commit message says %s', (marker) => {
    const payload = branchPush();
    payload.head_commit.message = `Fix typo\n\n${marker}`;
    expect(route('push', payload)).toEqual({ ignored: '[skip deploy] in the head commit message' });
  });

  it('ignores a tag push', () => {
    const payload = githubExample('push', (p) => p.ref.startsWith('refs/tags/') && !p.deleted);
    expect(route('push', payload)).toEqual({ ignored: 'tag push (refs/tags/simple-tag)' });
  });

  it('ignores a deleted branch or tag', () => {
    const payload = branchPush();
    Object.assign(payload, { deleted: true, created: false, after: '0'.repeat(40), head_commit: null });
    expect(route('push', payload)).toEqual({ ignored: 'refs/heads/master was deleted' });
    expect(
      ignoredReason(
        route(
          'push',
          githubExample('push', (p) => p.deleted),
        ),
      ),
    ).toBe('refs/tags/simple-tag was deleted');
  });

  it('ignores a branch created at an existing commit (no head commit)', () => {
    const payload = branchPush();
    payload.head_commit = null;
    expect(route('push', payload)).toEqual({ ignored: 'branch created without new commits' });
  });

  it('ignores a ref that is neither branch nor tag', () => {
    const payload = branchPush();
    payload.ref = 'refs/notes/commits';
    expect(route('push', payload)).toEqual({ ignored: 'not a branch (refs/notes/commits)' });
  });

  it('cuts a commit message over 4096 characters on a code point boundary', () => {
    const payload = branchPush();
    payload.head_commit.message = `${'x'.repeat(4095)}😀 and more`;
    const result = route('push', payload) as { request: RunRequest };
    expect(result.request.commitMessage).toBe('x'.repeat(4095));
  });
});

describe('routeEvent: pull_request', () => {
  it.each(['opened', 'synchronize', 'reopened'])('plans on %s', (action) => {
    const payload = pullRequest(action);
    const result = route('pull_request', payload);
    expect(result).toEqual({
      kind: 'plan',
      request: {
        ...context,
        kind: 'plan',
        repo: 'Codertocat/Hello-World',
        defaultBranch: 'master',
        ref: 'refs/pull/2/head',
        branch: 'master',
        sha: payload.pull_request.head.sha,
        actor: 'Codertocat',
        pullRequest: {
          number: 2,
          baseRef: 'master',
          baseSha: payload.pull_request.base.sha,
          headRef: 'changes',
          fromFork: false,
        },
      },
    });
  });

  it.each([
    'closed',
    'edited',
    'labeled',
    'assigned',
    'converted_to_draft',
    'ready_for_review',
    'review_requested',
    'locked',
  ])('ignores %s', (action) => {
    expect(route('pull_request', pullRequest(action))).toEqual({ ignored: `pull_request ${action} starts no plan` });
  });

  it('flags a pull request from a fork', () => {
    const payload = pullRequest();
    payload.pull_request.head.repo.full_name = 'forker/Hello-World';
    expect(route('pull_request', payload)).toMatchObject({ request: { pullRequest: { fromFork: true } } });
  });

  it('counts a pull request whose fork was deleted as a fork', () => {
    const payload = pullRequest();
    payload.pull_request.head.repo = null;
    expect(route('pull_request', payload)).toMatchObject({ request: { pullRequest: { fromFork: true } } });
  });
});

describe('routeEvent: issue_comment', () => {
  it('runs a /pushgate command on a pull request with its arguments', () => {
    const payload = prComment('/pushgate apply -p network -e staging\nthanks!');
    expect(route('issue_comment', payload)).toEqual({
      kind: 'comment',
      request: {
        ...context,
        kind: 'comment',
        repo: 'Codertocat/Hello-World',
        defaultBranch: 'master',
        ref: `refs/pull/${payload.issue.number}/head`,
        branch: '',
        sha: '0'.repeat(40),
        actor: 'Codertocat',
        pullRequest: { number: payload.issue.number, baseRef: '', headRef: '', fromFork: true },
        comment: {
          id: payload.comment.id,
          command: 'apply',
          args: ['-p', 'network', '-e', 'staging'],
          author: 'Codertocat',
          authorAssociation: 'OWNER',
        },
      },
    });
  });

  it.each([
    ['/pushgate approve net prod', 'approve', ['net', 'prod']],
    ['/pushgate reject wrong region', 'reject', ['wrong', 'region']],
    ['/pushgate unlock net prod', 'unlock', ['net', 'prod']],
    ['/pushgate help', 'help', []],
    ['/pushgate frobnicate', 'frobnicate', []],
  ])('hands %j to the commands function instead of starting a run', (body, command, args) => {
    const payload = prComment(body);
    expect(route('issue_comment', payload)).toEqual({
      command: {
        commandId: context.runId,
        deliveryId: context.deliveryId,
        repo: payload.repository.full_name,
        pullRequest: payload.issue.number,
        commentId: payload.comment.id,
        command,
        args,
        author: payload.comment.user.login,
        receivedAt: context.receivedAt,
      },
    });
  });

  it.each([
    ['too many arguments', `/pushgate reject ${Array.from({ length: 101 }, (_, i) => `w${i}`).join(' ')}`, 'args'],
    ['a too long argument', `/pushgate reject ${'x'.repeat(1001)}`, 'args.0'],
    ['a too long command', `/pushgate ${'x'.repeat(101)}`, 'command'],
  ])('answers a command with %s as ignored (202), not as a malformed payload (400)', (_, body, path) => {
    const result = route('issue_comment', prComment(body));
    expect(result).toEqual({
      ignored: expect.stringMatching(new RegExp(`^comment does not make a valid command at ${path}: `)),
    });
  });

  it('ignores a comment on an issue', () => {
    const payload = prComment('/pushgate plan');
    delete payload.issue.pull_request;
    expect(route('issue_comment', payload)).toEqual({ ignored: 'comment on an issue, not on a pull request' });
  });

  it.each(['edited', 'deleted'])('ignores a %s comment', (action) => {
    expect(route('issue_comment', prComment('/pushgate plan', action))).toEqual({
      ignored: `issue_comment ${action} is not a command`,
    });
  });

  it.each(['LGTM', 'please /pushgate plan', '/pushgate', '/pushgateplan'])('ignores the comment %j', (body) => {
    expect(route('issue_comment', prComment(body))).toEqual({ ignored: 'comment is not a /pushgate command' });
  });

  it('ignores a comment without a body', () => {
    const payload = prComment('');
    payload.comment.body = null;
    expect(route('issue_comment', payload)).toEqual({ ignored: 'comment is not a /pushgate command' });
  });
});

describe('routeEvent: the default branch', () => {
  const startingPayloads: [string, () => ExamplePayload][] = [
    ['push', branchPush],
    ['pull_request', () => pullRequest()],
    ['issue_comment', () => prComment('/pushgate plan')],
  ];
  const requestOf = (result: Route): RunRequest => {
    if ('ignored' in result) throw new Error(`ignored: ${result.ignored}`);
    if ('command' in result) throw new Error(`command: ${result.command.command}`);
    return result.request;
  };

  it("takes the repository's default branch, not the pushed branch", () => {
    const payload = branchPush();
    payload.ref = 'refs/heads/feature/x';
    payload.repository.default_branch = 'main';
    const request = requestOf(route('push', payload));
    expect(request.branch).toBe('feature/x');
    expect(request.defaultBranch).toBe('main');
    expect(RunRequest.parse(request).defaultBranch).toBe('main');
  });

  it("takes the base repository's default branch for a pull request, never the fork's", () => {
    const payload = pullRequest();
    payload.repository.default_branch = 'trunk';
    payload.pull_request.base.repo.default_branch = 'trunk';
    payload.pull_request.head.repo.full_name = 'forker/Hello-World';
    payload.pull_request.head.repo.default_branch = 'fork-default';
    const request = requestOf(route('pull_request', payload));
    expect(request.defaultBranch).toBe('trunk');
    expect(request.branch).toBe('master');
  });

  it("takes the repository's default branch for a /pushgate comment", () => {
    const payload = prComment('/pushgate plan');
    payload.repository.default_branch = 'develop';
    expect(requestOf(route('issue_comment', payload)).defaultBranch).toBe('develop');
  });

  it.each(startingPayloads)(
    'a %s payload without default_branch gives a request without defaultBranch, otherwise the same',
    (name, example) => {
      const withDefault = requestOf(route(name, example()));
      expect(withDefault.defaultBranch).toBe('master');
      const payload = example();
      delete payload.repository.default_branch;
      const request = requestOf(route(name, payload));
      expect(request).not.toHaveProperty('defaultBranch');
      expect(RunRequest.parse(request)).not.toHaveProperty('defaultBranch');
      const { defaultBranch: _ignored, ...rest } = withDefault;
      expect(request).toStrictEqual(rest);
    },
  );
});

describe('routeEvent: other events', () => {
  it('ignores events that start no run, naming them', () => {
    expect(routeEvent(parseEvent('issues', '{"action":"opened"}'), context)).toEqual({
      ignored: 'issues events start no run',
    });
    expect(routeEvent(parseEvent('ping', JSON.stringify(githubExample('ping'))), context)).toEqual({ ignored: 'ping' });
  });
});
