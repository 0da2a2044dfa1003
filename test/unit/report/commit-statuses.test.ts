import { describe, expect, it } from 'vitest';
import { statusesFor } from '../../../functions/lib/report/commit-statuses.ts';
import { CONSOLE, summary, target, view } from './report-fixtures.ts';

describe('statusesFor', () => {
  it('a pull request plan: one success per environment with its counts, linked to the console', () => {
    const statuses = statusesFor(
      view({
        targets: [
          target({ project: 'network', environment: 'staging', summary: summary(1) }),
          target({ project: 'network', environment: 'prod', status: 'planned', summary: summary(0, 2, 1) }),
        ],
      }),
    );
    expect(statuses).toEqual([
      { context: 'pushgate/staging', state: 'success', description: 'plan: +1 ~0 -0', targetUrl: CONSOLE },
      { context: 'pushgate/prod', state: 'success', description: 'plan: +0 ~2 -1', targetUrl: CONSOLE },
    ]);
  });

  it('pending while planning, applying or waiting; approval says how, per kind of run', () => {
    const running = view({
      kind: 'push',
      status: 'running',
      pullRequest: undefined,
      targets: [
        target({ project: 'a', environment: 'dev', status: 'running' }),
        target({ project: 'a', environment: 'staging', status: 'applying', summary: summary(2) }),
        target({ project: 'a', environment: 'prod', status: 'awaiting_approval', summary: summary(1) }),
        target({ project: 'a', environment: 'qa', status: 'planned', summary: summary(1) }),
      ],
    });
    expect(statusesFor(running).map((s) => [s.context, s.state, s.description])).toEqual([
      ['pushgate/dev', 'pending', 'planning'],
      ['pushgate/staging', 'pending', 'applying: +2 ~0 -0'],
      ['pushgate/prod', 'pending', 'waiting for approval: pushgate approve 01JRUN (+1 ~0 -0)'],
      // A deploy's planned target is on its way, not done.
      ['pushgate/qa', 'pending', 'planned: +1 ~0 -0'],
    ]);
    const onPull = statusesFor({ ...running, kind: 'comment', pullRequest: 7 });
    expect(onPull[2]!.description).toBe('waiting for approval: comment /pushgate approve (+1 ~0 -0)');
  });

  it('success when applied or without changes; failure with the reason for every bad end', () => {
    const finished = view({
      kind: 'push',
      status: 'failed',
      targets: [
        target({ project: 'a', environment: 'e1', status: 'succeeded', summary: summary(1, 1) }),
        target({ project: 'a', environment: 'e2', status: 'no_changes', summary: summary(0) }),
        target({ project: 'a', environment: 'e3', status: 'failed', reason: 'terraform apply failed' }),
        target({ project: 'a', environment: 'e4', status: 'rejected', reason: 'not now' }),
        target({ project: 'a', environment: 'e5', status: 'expired' }),
        target({ project: 'a', environment: 'e6', status: 'superseded', reason: 'main moved on' }),
        target({ project: 'a', environment: 'e7', status: 'conflict' }),
        target({ project: 'a', environment: 'e8', status: 'cancelled' }),
        target({ project: 'a', environment: 'e9', status: 'some_future_status' }),
      ],
    });
    expect(statusesFor(finished).map((s) => [s.state, s.description])).toEqual([
      ['success', 'applied: +1 ~1 -0'],
      ['success', 'no changes'],
      ['failure', 'failed: terraform apply failed'],
      ['failure', 'rejected: not now'],
      ['failure', 'approval expired'],
      ['failure', 'superseded: main moved on'],
      ['failure', 'conflict'],
      ['failure', 'cancelled'],
      // Unknown statuses: an error once the run has ended, never pending forever.
      ['error', 'some_future_status'],
    ]);
    expect(statusesFor({ ...finished, status: 'running' }).at(-1)!.state).toBe('pending');
  });

  it('several projects in one environment fold into one status: the worst wins, successes add up', () => {
    const folded = statusesFor(
      view({
        targets: [
          target({ project: 'network', environment: 'staging', summary: summary(1) }),
          target({ project: 'app', environment: 'staging', summary: summary(2, 1, 1) }),
          target({ project: 'dns', environment: 'staging', summary: summary(0) }),
          target({ project: 'network', environment: 'prod', summary: summary(1) }),
          target({ project: 'app', environment: 'prod', status: 'failed', reason: 'boom' }),
          target({ project: 'dns', environment: 'prod', status: 'awaiting_approval' }),
          target({ project: 'x', environment: 'dev', status: 'no_changes' }),
          target({ project: 'y', environment: 'dev', status: 'no_changes' }),
        ],
      }),
    );
    expect(folded.map((s) => [s.context, s.state, s.description])).toEqual([
      ['pushgate/staging', 'success', 'plan: +3 ~1 -1 (3 projects)'],
      ['pushgate/prod', 'failure', 'app: failed: boom'],
      ['pushgate/dev', 'success', 'no changes'],
    ]);
  });

  it('locally the link is a command: it goes into the description, never a target URL; 140 characters at most', () => {
    const local = statusesFor(
      view({
        link: 'pushgate run 01JRUN',
        targets: [target({ project: 'a', environment: 'e', status: 'failed', reason: 'x'.repeat(300) })],
      }),
    );
    expect(local[0]!.targetUrl).toBeUndefined();
    expect(local[0]!.description.length).toBeLessThanOrEqual(140);
    expect(local[0]!.description).toMatch(/^failed: x+… · pushgate run 01JRUN$/);
    const aws = statusesFor(
      view({ targets: [target({ project: 'a', environment: 'e', status: 'failed', reason: 'y'.repeat(300) })] }),
    );
    expect(aws[0]!.description.length).toBe(140);
    expect(aws[0]!.targetUrl).toBe(CONSOLE);
  });
});
