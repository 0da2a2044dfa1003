import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunFeedback } from '../../../functions/lib/feedback/run-feedback.ts';
import { createGitHubHost } from '../../../functions/lib/git/github-host.ts';
import { DRIFT_ISSUE_LABEL } from '../../../functions/lib/report/drift-issue.ts';
import { createGitHubReporter } from '../../../functions/lib/report/github-reporter.ts';
import { runRecordInput } from '../../../functions/lib/run/run-record-input.ts';
import { executionName } from '../../../functions/lib/webhook/execution-name.ts';
import { newRunId } from '../../../functions/lib/webhook/new-run-id.ts';
import type { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { startHarness, type Harness, type HarnessRepo } from '../../helpers/stack-harness.ts';

// `drift: { issue: true }` through the local stack's real parts: dynalite, the local Step Functions
// running the ASL (Notify included), the local CodeBuild running a `command` project's tool, and the
// loopback GitHub answering the issues API as GitHub does. Drift is made by editing what the project
// deployed, as a person changing it by hand would.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

/** `plan` plans the repository's `version` only when the deployed one differs; `apply` writes it. */
const DRIFT_TOOL = `#!/usr/bin/env bash
set -euo pipefail
dest="$PUSHGATE_DEPLOY_ROOT/$PUSHGATE_ENVIRONMENT/$PUSHGATE_PROJECT"
case "$1" in
  plan)
    if [ -f "$dest/version" ] && cmp -s "$dest/version" version; then : > plan.out; else cp version plan.out; fi
    ;;
  apply)
    mkdir -p "$dest"
    cp "$PUSHGATE_PLAN_FILE" "$dest/version"
    ;;
esac
`;

function files(project: string, drift: string): Record<string, string> {
  return {
    'pushgate.yml': [
      'version: 1',
      'environments:',
      '  staging:',
      '    branch: main',
      `    drift: ${drift}`,
      'projects:',
      `  - name: ${project}`,
      `    dir: ${project}`,
      '    engine: command',
      '    environments: [staging]',
      '    command: { plan: bash ../tools/deploy.sh plan, planFile: plan.out, apply: bash ../tools/deploy.sh apply }',
      '',
    ].join('\n'),
    'tools/deploy.sh': DRIFT_TOOL,
    [`${project}/version`]: '1\n',
  };
}

const deployedVersion = (project: string) => join(h.root, 'deployed', 'staging', project, 'version');
const issuesOf = (repo: string) => h.stack.github.posted.issues.filter((issue) => issue.repo === repo);
const commentsOn = (repo: string, number: number) =>
  h.stack.github.posted.comments.filter((comment) => comment.repo === repo && comment.issueNumber === number);

/** The drift function's part: record the run (kind drift, actor pushgate), then start the execution. */
async function startDrift(
  repo: HarnessRepo,
  sha: string,
  project: string,
): Promise<{ runId: string; status?: string }> {
  const runId = newRunId();
  const request: RunRequest = {
    runId,
    deliveryId: `drift-${runId}`,
    kind: 'drift',
    repo: repo.fullName,
    ref: 'refs/heads/main',
    branch: 'main',
    defaultBranch: 'main',
    sha,
    actor: 'pushgate',
    drift: { environment: 'staging', projects: [project] },
    receivedAt: new Date().toISOString(),
  };
  await h.store.createRun(runRecordInput(request));
  const { executionArn } = h.stack.stepfunctions.startExecution({
    stateMachineArn: h.stack.stateMachineArn,
    name: executionName(request),
    input: JSON.stringify(request),
  });
  const execution = await h.stack.stepfunctions.waitForExecution(executionArn!, { timeoutMs: 90_000 });
  return { runId, ...(execution.status ? { status: execution.status } : {}) };
}

describe('drift issues', { timeout: 240_000 }, () => {
  it('drift: { issue: true } opens one issue per new drift, not per check nor per retried Notify; a clean check closes it', async () => {
    const project = 'drift-issue-on';
    const repo = await h.repository(project, files(project, '{ schedule: rate(1 hour), issue: true }'));
    const deploy = await repo.deploy({}, 'v1');
    expect(deploy.run.status).toBe('succeeded');
    const sha = deploy.run.sha;

    const clean = await startDrift(repo, sha, project);
    expect(clean.status).toBe('SUCCEEDED');
    expect((await h.store.getRun(clean.runId))?.driftIssue).toBe(true);
    expect(issuesOf(repo.fullName)).toEqual([]);

    await writeFile(deployedVersion(project), 'edited by hand\n');
    const first = await startDrift(repo, sha, project);
    expect((await h.store.listTargets(first.runId))[0]).toMatchObject({ drifted: true, driftAlert: true });
    expect(issuesOf(repo.fullName)).toHaveLength(1);
    const [issue] = issuesOf(repo.fullName);
    expect(issue).toMatchObject({ state: 'open', labels: [DRIFT_ISSUE_LABEL], user: 'pushgate[bot]' });
    expect(issue!.title).toBe(`Drift in staging: ${project} (changes)`);
    for (const text of [
      first.runId,
      `pushgate run ${first.runId}`,
      sha,
      `pushgate drift --repo ${repo.fullName} --env staging`,
      'drift: { remediate: true }',
      'Since',
    ]) {
      expect(issue!.body).toContain(text);
    }
    expect((await h.store.getRun(first.runId))?.notifications?.github).toMatchObject({ ok: true });

    // The same drift, checked again: no second issue.
    const second = await startDrift(repo, sha, project);
    expect((await h.store.listTargets(second.runId))[0]).toMatchObject({ drifted: true });
    expect(issuesOf(repo.fullName)).toHaveLength(1);

    // Notify of the alerting check told again (a retry): it finds its issue open and opens none.
    const host = createGitHubHost({ token: h.stack.githubToken, baseUrl: h.stack.github.url });
    const feedback = createRunFeedback({
      store: h.store,
      github: createGitHubReporter({ statuses: host, comments: host, commitComments: host, issues: host }),
      link: (run) => `pushgate run ${run.runId}`,
    });
    expect(await feedback.runFinished(first.runId, ['github'])).toEqual([{ channel: 'github', ok: true }]);
    expect(issuesOf(repo.fullName)).toHaveLength(1);
    expect(issuesOf(repo.fullName)[0]!.state).toBe('open');

    // Fixed by hand: the next clean check closes the issue with a comment.
    await writeFile(deployedVersion(project), '1\n');
    const cleared = await startDrift(repo, sha, project);
    expect((await h.store.listTargets(cleared.runId))[0]).toMatchObject({ drifted: false });
    expect(issuesOf(repo.fullName)).toHaveLength(1);
    expect(issuesOf(repo.fullName)[0]).toMatchObject({ state: 'closed', stateReason: 'completed' });
    const closing = commentsOn(repo.fullName, issue!.number);
    expect(closing).toHaveLength(1);
    expect(closing[0]!.body).toContain(`pushgate run ${cleared.runId}`);

    // Drifting again is new drift: a new issue.
    await writeFile(deployedVersion(project), 'edited again\n');
    const again = await startDrift(repo, sha, project);
    expect((await h.store.listTargets(again.runId))[0]).toMatchObject({ driftAlert: true });
    expect(issuesOf(repo.fullName).map((each) => each.state)).toEqual(['closed', 'open']);
    expect(issuesOf(repo.fullName)[1]!.body).toContain(again.runId);
  });

  it("GitHubHost lists only its own open issues, labelled or not (GitHub may drop a label): a person's copy of the marker, a closed one or a pull request is not pushgate's", async () => {
    const repo = await h.repository('drift-issue-host', files('drift-issue-host', '{ issue: true }'));
    const bot = createGitHubHost({ token: h.stack.githubToken, baseUrl: h.stack.github.url });
    const writer = h.stack.githubUsers.find((user) => user.role === 'write')!;
    const person = createGitHubHost({ token: writer.token, baseUrl: h.stack.github.url });
    const marker = '<!-- pushgate:drift-issue env=staging run=01COPIED -->';
    const theirs = await person.createIssue(repo.fullName, {
      title: 'copied',
      body: marker,
      labels: [DRIFT_ISSUE_LABEL],
    });
    const mine = await bot.createIssue(repo.fullName, { title: 'mine', body: marker, labels: [DRIFT_ISSUE_LABEL] });
    const unlabelled = await bot.createIssue(repo.fullName, { title: 'other', body: marker, labels: [] });
    const closed = await bot.createIssue(repo.fullName, { title: 'closed', body: marker, labels: [DRIFT_ISSUE_LABEL] });
    await bot.closeIssue(repo.fullName, closed.number, 'closing');

    expect(new Set([theirs.number, mine.number, unlabelled.number, closed.number]).size).toBe(4);
    // Newest first.
    expect(await bot.listOpenIssues(repo.fullName, DRIFT_ISSUE_LABEL)).toEqual([
      { number: unlabelled.number, title: 'other', body: marker },
      { number: mine.number, title: 'mine', body: marker },
    ]);
    expect(commentsOn(repo.fullName, closed.number).map((comment) => comment.body)).toEqual(['closing']);
    // A reader may open an issue, but GitHub drops the labels of someone without push access.
    const reader = h.stack.githubUsers.find((user) => user.role === 'read')!;
    const readerHost = createGitHubHost({ token: reader.token, baseUrl: h.stack.github.url });
    const dropped = await readerHost.createIssue(repo.fullName, { title: 'r', body: '', labels: [DRIFT_ISSUE_LABEL] });
    expect(issuesOf(repo.fullName).find((issue) => issue.number === dropped.number)?.labels).toEqual([]);
  });

  it('without drift.issue (the default) a drift check opens no issue', async () => {
    const project = 'drift-issue-off';
    const repo = await h.repository(project, files(project, '{ schedule: rate(1 hour) }'));
    const deploy = await repo.deploy({}, 'v1');
    await writeFile(deployedVersion(project), 'edited by hand\n');
    const drifted = await startDrift(repo, deploy.run.sha, project);
    expect((await h.store.listTargets(drifted.runId))[0]).toMatchObject({ drifted: true, driftAlert: true });
    expect((await h.store.getRun(drifted.runId))?.driftIssue).toBeUndefined();
    // Slack is told (the existing alert); GitHub gets no issue.
    expect(h.stack.slack.messages.filter((message) => JSON.stringify(message).includes(drifted.runId))).toHaveLength(1);
    expect(issuesOf(repo.fullName)).toEqual([]);
  });
});
