import { describe, expect, it } from 'vitest';
import { executionFailure, MAX_CAUSE } from '../../../functions/lib/run/execution-failure.ts';
import type { Status } from '../../../functions/lib/status.ts';

const target = (environment: string, status: Status, reason?: string) => ({
  project: 'network',
  environment,
  status,
  ...(reason === undefined ? {} : { reason }),
});

describe('executionFailure: the Error and Cause a failed execution ends with', () => {
  it.each<Status>(['succeeded', 'no_changes', 'skipped', 'superseded'])(
    'a %s run ends the execution Succeeded',
    (status) => {
      expect(executionFailure({ status, reason: 'whatever', targets: [target('prod', status)] })).toBeUndefined();
    },
  );

  it('a failed target: TargetFailed, with the run reason naming the target', () => {
    const reason = 'network/prod: build pushgate-dev-apply:1 failed in phase BUILD: exit status 1';
    expect(
      executionFailure({
        status: 'failed',
        reason,
        targets: [target('staging', 'succeeded'), target('prod', 'failed')],
      }),
    ).toEqual({ error: 'TargetFailed', cause: reason });
  });

  it('names the target status that needs a person most when several fail differently', () => {
    const targets = [target('a', 'expired'), target('b', 'rejected'), target('c', 'conflict'), target('d', 'failed')];
    expect(executionFailure({ status: 'failed', reason: 'r', targets })?.error).toBe('LockConflict');
    expect(executionFailure({ status: 'failed', reason: 'r', targets: targets.slice(0, 2) })?.error).toBe(
      'ApprovalRejected',
    );
    expect(executionFailure({ status: 'failed', reason: 'r', targets: targets.slice(0, 1) })?.error).toBe(
      'ApprovalExpired',
    );
  });

  it('an invalid pushgate.yml caught by RecordFailure: ValidationFailed; a policy error: PolicyFailed; else RunFailed', () => {
    const reason = 'pushgate.yml at 1a2b3c4 has 2 problems: projects[0].engine: invalid; qa: unknown environment';
    const run = { status: 'failed' as const, reason, targets: [] };
    expect(executionFailure(run, { Error: 'InvalidConfigError', Cause: '{}' })).toEqual({
      error: 'ValidationFailed',
      cause: reason,
    });
    expect(executionFailure(run, { Error: 'PolicyError' })?.error).toBe('PolicyFailed');
    expect(executionFailure(run, { Error: 'GitHostError' })?.error).toBe('RunFailed');
    // A run failed before the workflow got to it (the intake gave up on its start) keeps its own reason.
    expect(
      executionFailure({ status: 'failed', reason: 'the workflow did not start: throttled', targets: [] }),
    ).toEqual({ error: 'RunFailed', cause: 'the workflow did not start: throttled' });
  });

  it('a cancelled run: Cancelled, whatever was caught', () => {
    expect(
      executionFailure(
        { status: 'cancelled', reason: 'a duplicate of run 01X', targets: [] },
        { Error: 'States.Aborted' },
      ),
    ).toEqual({ error: 'Cancelled', cause: 'a duplicate of run 01X' });
  });

  it('without a run reason, the failing targets say why, then the status', () => {
    expect(
      executionFailure({
        status: 'failed',
        targets: [target('prod', 'failed', 'plan failed'), target('dev', 'rejected')],
      }),
    ).toEqual({ error: 'TargetFailed', cause: 'network/prod: plan failed; network/dev: rejected' });
    expect(executionFailure({ status: 'failed', targets: [] })).toEqual({
      error: 'RunFailed',
      cause: 'the run ended failed',
    });
  });

  it(`cuts a long cause to ${MAX_CAUSE} characters with an ellipsis, never inside a character`, () => {
    const reason = `network/prod: ${'😀'.repeat(2000)}`;
    const { cause } = executionFailure({ status: 'failed', reason, targets: [target('prod', 'failed')] })!;
    expect([...cause]).toHaveLength(MAX_CAUSE);
    expect(cause.startsWith('network/prod: 😀')).toBe(true);
    expect(cause.endsWith('😀…')).toBe(true);
  });
});
