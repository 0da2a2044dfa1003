import { describe, expect, it } from 'vitest';
import { executionName } from '../../../functions/lib/webhook/execution-name.ts';

const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const VALID = /^[A-Za-z0-9_-]{1,80}$/;

describe('executionName', () => {
  it('reads <repo>-<kind>-<sha7>-<delivery>', () => {
    expect(executionName({ repo: 'octo-org/infra', kind: 'push', sha: SHA, deliveryId: DELIVERY })).toBe(
      `infra-push-ec26c3e-${DELIVERY}`,
    );
  });

  it('uses the pull request number when the sha is not known yet', () => {
    const name = executionName({
      repo: 'octo-org/infra',
      kind: 'comment',
      sha: '0'.repeat(40),
      deliveryId: DELIVERY,
      pullRequest: { number: 42, baseRef: '', headRef: '', fromFork: true },
    });
    expect(name).toBe(`infra-comment-pr42-${DELIVERY}`);
  });

  it('replaces characters Step Functions does not take', () => {
    const name = executionName({ repo: 'octo/my.repo_v2', kind: 'plan', sha: SHA, deliveryId: DELIVERY });
    expect(name).toBe(`my-repo_v2-plan-ec26c3e-${DELIVERY}`);
    expect(name).toMatch(VALID);
  });

  it('cuts a long repository name, never the delivery id', () => {
    const name = executionName({
      repo: `octo/${'very-long-name-'.repeat(10)}`,
      kind: 'push',
      sha: SHA,
      deliveryId: DELIVERY,
    });
    expect(name).toMatch(VALID);
    expect(name.length).toBeGreaterThanOrEqual(78);
    expect(name.endsWith(`-push-ec26c3e-${DELIVERY}`)).toBe(true);
    expect(name.startsWith('very-long-name')).toBe(true);
    expect(name).not.toMatch(/--/);
  });

  it('keeps the longest delivery id the intake accepts whole', () => {
    const delivery = 'd'.repeat(64);
    const name = executionName({ repo: 'octo/infra', kind: 'comment', sha: SHA, deliveryId: delivery });
    expect(name).toMatch(VALID);
    expect(name.endsWith(delivery)).toBe(true);
  });

  it('is deterministic and differs per delivery', () => {
    const a = executionName({ repo: 'o/r', kind: 'push', sha: SHA, deliveryId: 'a' });
    expect(executionName({ repo: 'o/r', kind: 'push', sha: SHA, deliveryId: 'a' })).toBe(a);
    expect(executionName({ repo: 'o/r', kind: 'push', sha: SHA, deliveryId: 'b' })).not.toBe(a);
  });
});
