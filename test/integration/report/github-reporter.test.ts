import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubHost, type GitHubHost } from '../../../functions/lib/git/github-host.ts';
import { createGitHubReporter, type GitHubReporter } from '../../../functions/lib/report/github-reporter.ts';
import { PLAN_COMMENT_MARKER } from '../../../functions/lib/report/pull-request-comment.ts';
import type { ReportView } from '../../../functions/lib/report/report-view.ts';
import { createLocalRepository, type LocalRepository } from '../../../local/git/local-repository.ts';
import {
  defaultLocalUsers,
  startGitHub,
  type LocalGitHub,
  type LocalUser,
} from '../../../local/github/start-github.ts';

const BOT_TOKEN = 'ghs_reporter_bot';
const repoName = 'acme/infra';
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * The reporter against the local GitHub over HTTP, through the real GitHubHost: commit statuses,
 * the sticky pull request comment edited in place, the stale-commit guard, commit comments on a
 * push, and GitHub failures that never escape.
 */
describe('GitHub reporter against the local GitHub', () => {
  let repo: LocalRepository;
  let github: LocalGitHub;
  let host: GitHubHost;
  let reporter: GitHubReporter;
  let alice: LocalUser;
  let first: string;
  let head: string;

  const viewOf = (overrides: Partial<ReportView> = {}): ReportView => ({
    runId: '01JREPORT',
    repo: repoName,
    kind: 'plan',
    sha: head,
    branch: 'main',
    actor: 'alice-admin',
    status: 'running',
    link: 'pushgate run 01JREPORT',
    pullRequest: 7,
    targets: [{ project: 'network', environment: 'staging', status: 'running' }],
    ...overrides,
  });
  const pullComments = () => github.posted.comments.filter((c) => c.issueNumber === 7);

  beforeAll(async () => {
    repo = await createLocalRepository(await mkdtemp(join(tmpdir(), 'pushgate-report-')));
    await repo.commit({ 'README.md': 'infra\n' }, 'Initial commit');
    await repo.push('--quiet', 'origin', 'main');
    await repo.commit({ 'main.tf': 'resource "null_resource" "a" {}\n' }, 'First change');
    first = await repo.sha();
    head = await repo.commit({ 'main.tf': 'resource "null_resource" "b" {}\n' }, 'Second change');
    await repo.push('--quiet', 'origin', 'HEAD:refs/heads/feature');
    alice = defaultLocalUsers()[0]!;
    github = await startGitHub({ repos: { [repoName]: repo.bare }, token: BOT_TOKEN, users: [alice] });
    github.addPullRequest(repoName, { number: 7, head: 'feature', base: 'main' });
    host = createGitHubHost({ token: BOT_TOKEN, baseUrl: github.url });
    reporter = createGitHubReporter({
      statuses: host,
      comments: host,
      commitComments: host,
      getPullRequest: (r, n) => host.getPullRequest(r, n),
    });
  });

  afterAll(async () => {
    await github?.stop();
    await repo?.cleanup();
  });

  beforeEach(() => {
    github.setDown(false);
  });

  it('edits one sticky comment in place across the run, never a person quoting its marker', async () => {
    // Someone quotes the marker first: theirs is not pushgate's comment.
    await new Octokit({ auth: alice.token, baseUrl: github.url, log: quiet }).rest.issues.createComment({
      owner: 'acme',
      repo: 'infra',
      issue_number: 7,
      body: `as the bot writes: ${PLAN_COMMENT_MARKER}`,
    });

    const started = await reporter.runStarted(viewOf());
    const waiting = await reporter.approvalRequested(
      viewOf({
        kind: 'comment',
        targets: [
          {
            project: 'network',
            environment: 'staging',
            status: 'awaiting_approval',
            summary: { add: 1, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: true },
            planText: '  + resource "null_resource" "b" {}',
          },
        ],
      }),
    );
    const finished = await reporter.runFinished(
      viewOf({
        kind: 'comment',
        status: 'succeeded',
        targets: [
          {
            project: 'network',
            environment: 'staging',
            status: 'succeeded',
            summary: { add: 1, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: true },
            approvals: [{ decision: 'approved', by: 'alice-admin', via: 'github', at: '2026-01-01T00:00:00Z' }],
          },
        ],
      }),
    );

    for (const steps of [started, waiting, finished]) expect(steps.every((step) => step.ok)).toBe(true);
    const [comment, ...others] = [started, waiting, finished].map((steps) => steps.find((s) => s.step === 'comment')!);
    expect(comment!.created).toBe(true);
    expect(others.map((s) => [s.commentId, s.created])).toEqual([
      [comment!.commentId, false],
      [comment!.commentId, false],
    ]);
    const mine = pullComments().filter((c) => c.user === 'pushgate[bot]');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(mine[0]!.body).toContain('✅ approved by alice-admin via github');
    expect(pullComments().find((c) => c.user === alice.login)!.body).toBe(`as the bot writes: ${PLAN_COMMENT_MARKER}`);

    // One status per environment, the last one final; locally the link is in the description.
    const statuses = github.posted.statuses.filter((s) => s.sha === head && s.context === 'pushgate/staging');
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'pending', 'success']);
    expect(statuses[1]!.description).toBe(
      'waiting for approval: comment /pushgate approve (+1 ~0 -0) · pushgate run 01JREPORT',
    );
    expect(statuses.at(-1)!.description).toBe('applied: +1 ~0 -0 · pushgate run 01JREPORT');
    expect(statuses.every((s) => s.target_url === null)).toBe(true);
  });

  it('a run of an older commit does not overwrite the comment of the newer head, but sets its own statuses', async () => {
    const before = pullComments().map((c) => c.body);
    const steps = await reporter.runFinished(viewOf({ sha: first, status: 'succeeded' }));
    expect(steps.find((s) => s.step === 'comment')).toMatchObject({
      ok: true,
      skipped: `${first.slice(0, 7)} is no longer the head of #7 (${head.slice(0, 7)} is)`,
    });
    expect(pullComments().map((c) => c.body)).toEqual(before);
    expect(github.posted.statuses.some((s) => s.sha === first)).toBe(true);
  });

  it('a push waiting for approval gets a commit comment that says how to approve without a pull request', async () => {
    const steps = await reporter.approvalRequested(
      viewOf({
        kind: 'push',
        pullRequest: undefined,
        targets: [{ project: 'network', environment: 'prod', status: 'awaiting_approval' }],
      }),
    );
    expect(steps.map((s) => [s.step, s.ok])).toEqual([
      ['status', true],
      ['commitComment', true],
    ]);
    const comment = github.posted.commitComments.at(-1)!;
    expect(comment.sha).toBe(head);
    expect(comment.body).toContain('`pushgate approve 01JREPORT`');

    // A retried request finds its comment: still one.
    const retried = await reporter.approvalRequested(
      viewOf({
        kind: 'push',
        pullRequest: undefined,
        targets: [{ project: 'network', environment: 'prod', status: 'awaiting_approval' }],
      }),
    );
    expect(retried.at(-1)).toMatchObject({ step: 'commitComment', ok: true, commentId: comment.id, created: false });
    expect(github.posted.commitComments.filter((c) => c.sha === head)).toHaveLength(1);
  });

  it('when the push run ends, its approval is answered where it was asked: a commit comment with the outcome', async () => {
    const before = github.posted.commitComments.filter((c) => c.sha === head).length;
    const ended = viewOf({
      kind: 'push',
      pullRequest: undefined,
      status: 'failed',
      targets: [
        { project: 'network', environment: 'prod', status: 'expired', reason: 'nobody approved within 24 h' },
        {
          project: 'dns',
          environment: 'prod',
          status: 'succeeded',
          approvals: [{ decision: 'approved', by: 'alice', via: 'slack', at: '2026-11-30T10:00:00.000Z' }],
        },
      ],
    });
    const steps = await reporter.runFinished(ended);
    expect(steps.at(-1)).toMatchObject({ step: 'commitComment', ok: true, created: true });
    const comment = github.posted.commitComments.at(-1)!;
    expect(comment.sha).toBe(head);
    expect(comment.body).toContain('network → prod: expired: nobody approved within 24 h');
    expect(comment.body).toContain('dns → prod: approved by alice via Slack at 2026-11-30T10:00:00.000Z');
    // Notify is retried: the outcome is said once.
    await reporter.runFinished(ended);
    expect(github.posted.commitComments.filter((c) => c.sha === head)).toHaveLength(before + 1);
    // A run that asked nobody says nothing on the commit.
    const quiet = await reporter.runFinished(
      viewOf({
        kind: 'push',
        pullRequest: undefined,
        targets: [{ project: 'network', environment: 'staging', status: 'succeeded' }],
      }),
    );
    expect(quiet.map((s) => s.step)).not.toContain('commitComment');
  });

  it('GitHub down: every step reports its failure, nothing throws', async () => {
    github.setDown(true);
    const steps = await reporter.runFinished(viewOf({ status: 'succeeded' }));
    expect(steps.map((s) => [s.step, s.ok])).toEqual([
      ['status', false],
      ['comment', false],
    ]);
    expect(steps[0]!.error).toMatch(/HTTP 503/);
    expect(steps.map((s) => s.error).join(' ')).not.toContain(BOT_TOKEN);
  });

  it('finds its comment past the first page of a long conversation', async () => {
    github.addPullRequest(repoName, { number: 8, head: 'feature', base: 'main' });
    const people = new Octokit({ auth: alice.token, baseUrl: github.url, log: quiet });
    for (let i = 0; i < 105; i++) {
      await people.rest.issues.createComment({ owner: 'acme', repo: 'infra', issue_number: 8, body: `comment ${i}` });
    }
    const created = await host.upsertComment(repoName, 8, PLAN_COMMENT_MARKER, `${PLAN_COMMENT_MARKER} one`);
    const edited = await host.upsertComment(repoName, 8, PLAN_COMMENT_MARKER, `${PLAN_COMMENT_MARKER} two`);
    expect(created.created).toBe(true);
    expect(edited).toEqual({ id: created.id, created: false });
    const bots = github.posted.comments.filter((c) => c.issueNumber === 8 && c.user === 'pushgate[bot]');
    expect(bots.map((c) => c.body)).toEqual([`${PLAN_COMMENT_MARKER} two`]);
  });

  it('team membership: active members only, a stranger is not one', async () => {
    const teams = await startGitHub({
      repos: { [repoName]: repo.bare },
      token: BOT_TOKEN,
      teams: { 'acme/deployers': ['bob-writer'] },
    });
    try {
      const directory = createGitHubHost({ token: BOT_TOKEN, baseUrl: teams.url });
      expect(await directory.isTeamMember('acme', 'deployers', 'bob-writer')).toBe(true);
      expect(await directory.isTeamMember('acme', 'deployers', 'mallory')).toBe(false);
      expect(await directory.isTeamMember('acme', 'nobody', 'bob-writer')).toBe(false);
    } finally {
      await teams.stop();
    }
  });
});
