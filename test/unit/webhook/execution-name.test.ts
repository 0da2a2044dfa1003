import { describe, expect, it } from 'vitest';
import { newRunId } from '../../../functions/lib/webhook/new-run-id.ts';
import { executionName } from '../../../functions/lib/webhook/execution-name.ts';

const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const RUN = '01J9ZK6Q3R4S5T6V7W8X9Y0ZAB';
// Step Functions' rule for execution names: 1-80 characters; these are the ones that stay readable.
const VALID = /^[A-Za-z0-9_-]{1,80}$/;

describe('executionName', () => {
  it('reads <runId>-<repo>-<kind>-<sha7>', () => {
    expect(executionName({ runId: RUN, repo: 'octo-org/infra', kind: 'push', sha: SHA })).toBe(
      `${RUN}-infra-push-ec26c3e`,
    );
  });

  it('uses the pull request number when the sha is not known yet', () => {
    const name = executionName({
      runId: RUN,
      repo: 'octo-org/infra',
      kind: 'comment',
      sha: '0'.repeat(40),
      pullRequest: { number: 42, baseRef: '', headRef: '', fromFork: true },
    });
    expect(name).toBe(`${RUN}-infra-comment-pr42`);
  });

  it('replaces characters Step Functions does not take', () => {
    const name = executionName({ runId: RUN, repo: 'octo/my.repo_v2', kind: 'plan', sha: SHA });
    expect(name).toBe(`${RUN}-my-repo_v2-plan-ec26c3e`);
    expect(name).toMatch(VALID);
  });

  it('cuts a long repository name, never the run id', () => {
    const name = executionName({ runId: RUN, repo: `octo/${'very-long-name-'.repeat(10)}`, kind: 'comment', sha: SHA });
    expect(name).toMatch(VALID);
    expect(name.length).toBeGreaterThanOrEqual(79);
    expect(name.startsWith(`${RUN}-very-long-name`)).toBe(true);
    expect(name.endsWith('-comment-ec26c3e')).toBe(true);
    expect(name).not.toMatch(/--/);
  });

  it('keeps a generated run id whole and first, so the console finds a run by its id', () => {
    const runId = newRunId();
    const name = executionName({ runId, repo: 'o/r', kind: 'drift', sha: SHA });
    expect(name).toMatch(VALID);
    expect(name.split('-')[0]).toBe(runId);
  });

  it('cuts an overlong run id from elsewhere to the limit', () => {
    const name = executionName({ runId: 'r'.repeat(100), repo: 'o/r', kind: 'push', sha: SHA });
    expect(name).toBe('r'.repeat(80));
  });

  it('is deterministic per run and differs between runs of the same commit', () => {
    const a = executionName({ runId: 'a', repo: 'o/r', kind: 'push', sha: SHA });
    expect(executionName({ runId: 'a', repo: 'o/r', kind: 'push', sha: SHA })).toBe(a);
    expect(executionName({ runId: 'b', repo: 'o/r', kind: 'push', sha: SHA })).not.toBe(a);
  });
});
