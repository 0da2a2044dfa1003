import { describe, expect, it } from 'vitest';
import { driftWorthTelling } from '../../../functions/lib/feedback/run-feedback.ts';
import { slackRunMessage, type SlackRunView } from '../../../functions/lib/notify/slack-blocks.ts';
import { createGitHubReporter } from '../../../functions/lib/report/github-reporter.ts';
import type { RunRecord, TargetRecord } from '../../../functions/lib/store/types.ts';
import { summary, view as reportView } from '../report/report-fixtures.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

const run = (overrides: Partial<RunRecord> = {}): RunRecord => ({
  runId: '01JDRIFT',
  repo: 'acme/infra',
  kind: 'drift',
  ref: 'refs/heads/main',
  branch: 'main',
  sha: SHA,
  actor: 'pushgate',
  deliveryId: 'drift-01JDRIFT',
  status: 'succeeded',
  createdAt: '2026-01-01T12:00:00.000Z',
  updatedAt: '2026-01-01T12:01:00.000Z',
  ...overrides,
});

const target = (overrides: Partial<TargetRecord> = {}): TargetRecord => ({
  runId: '01JDRIFT',
  repo: 'acme/infra',
  project: 'network',
  environment: 'prod',
  status: 'planned',
  sha: SHA,
  createdAt: '2026-01-01T12:00:00.000Z',
  updatedAt: '2026-01-01T12:01:00.000Z',
  ...overrides,
});

describe('which drift checks Slack hears about', () => {
  it('only a new drift, a failed check, or a check that already asked for an approval there', () => {
    expect(driftWorthTelling({ run: run(), targets: [target({ drifted: false })] })).toBe(false);
    expect(driftWorthTelling({ run: run(), targets: [target({ drifted: true })] })).toBe(false);
    expect(driftWorthTelling({ run: run(), targets: [target({ drifted: true, driftAlert: true })] })).toBe(true);
    expect(driftWorthTelling({ run: run({ status: 'failed' }), targets: [target({ status: 'failed' })] })).toBe(true);
    expect(
      driftWorthTelling({ run: run({ slackMessages: { C1: '1.2' } }), targets: [target({ drifted: true })] }),
    ).toBe(true);
    // Every other kind of run is told as before.
    expect(driftWorthTelling({ run: run({ kind: 'push' }), targets: [] })).toBe(true);
  });
});

describe("a drift check's Slack message", () => {
  const base: SlackRunView = {
    runId: '01JDRIFT',
    repo: 'acme/infra',
    branch: 'main',
    actor: 'pushgate',
    status: 'succeeded',
    phase: 'finished',
    commit: { sha: SHA },
    trigger: { kind: 'drift' },
    targets: [
      {
        project: 'network',
        environment: 'prod',
        status: 'planned',
        summary: summary(0, 2),
        drifted: true,
        driftAlert: true,
        driftSince: '2026-01-01T12:00:00.000Z',
      },
      { project: 'dns', environment: 'prod', status: 'planned', summary: summary(0), drifted: false },
    ],
  };

  it('says which target drifted, its plan, since when, and what to do', () => {
    const message = slackRunMessage(base);
    const text = JSON.stringify(message);
    expect(message.text).toContain('drift check');
    expect(message.text).toContain('found drift');
    expect(text).toContain('*network* in *prod*: planned, *drifted* since 2026-01-01T12:00:00.000Z');
    expect(text).toContain('2 to change');
    expect(text).toContain('*dns* in *prod*: planned, no drift');
    expect(text).toContain('pushgate drift --repo acme/infra --env prod');
    expect(text).toContain('drift.remediate: true');
  });

  it('says the drift was repaired when remediate applied it again', () => {
    const message = slackRunMessage({
      ...base,
      targets: [{ ...base.targets[0]!, status: 'succeeded' }],
    });
    expect(message.text).toContain('repaired drift');
    expect(JSON.stringify(message)).toContain('it was applied again');
  });
});

describe('GitHub and a drift check', () => {
  it('sets no commit status and writes no pull request comment: the check reviews no change', async () => {
    const calls: string[] = [];
    const reporter = createGitHubReporter({
      statuses: { setCommitStatus: async () => void calls.push('status') },
      comments: {
        upsertComment: async () => (calls.push('comment'), { id: 1, created: true }),
        createComment: async () => (calls.push('comment'), { id: 3 }),
      },
      commitComments: { createCommitComment: async () => (calls.push('commitComment'), { id: 2 }) },
    });
    const drift = reportView({ kind: 'drift', pullRequest: undefined, targets: [] });
    expect(await reporter.runStarted(drift)).toEqual([]);
    expect(await reporter.runFinished(drift)).toEqual([]);
    expect(calls).toEqual([]);
    // The same view as a push sets its statuses: the difference is the kind alone.
    await reporter.runStarted({ ...drift, kind: 'push', targets: reportView().targets });
    expect(calls).toContain('status');
  });
});
