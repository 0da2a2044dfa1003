import { describe, expect, expectTypeOf, it } from 'vitest';
import * as mini from 'zod/mini';
import * as classic from 'zod';
import { RunRequest as LightRunRequest } from '../../../functions/lib/webhook/run-request-schema.ts';
import { RunRequest } from '../../../functions/lib/workflow/contract.ts';

/*
 * The webhook checks the RunRequest it starts a run with by a zod/mini copy of the contract's schema
 * (run-request-schema.ts), for its cold start. The copy must say what the contract says: the same JSON
 * Schema (keys, types, patterns, lengths: a field added to contract.ts fails here until it is added
 * there), the same inferred type, and the same verdicts and outputs on requests either accepts or rejects.
 */

const push = {
  runId: '01J0000000000000000000000A',
  deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  kind: 'push',
  repo: 'octo-org/infra',
  defaultBranch: 'main',
  ref: 'refs/heads/main',
  branch: 'main',
  sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
  before: '0'.repeat(40),
  actor: 'octocat',
  commitMessage: 'Add the staging bucket',
  receivedAt: '2025-01-01T00:00:00.000Z',
};
const plan = {
  ...push,
  kind: 'plan',
  ref: 'refs/pull/7/head',
  pullRequest: { number: 7, baseRef: 'main', baseSha: 'a'.repeat(40), headRef: 'feature', fromFork: false },
};
const comment = {
  ...plan,
  kind: 'comment',
  sha: '0'.repeat(40),
  pullRequest: { number: 7, baseRef: '', headRef: '', fromFork: true },
  comment: { id: 42, command: 'apply', args: ['staging'], author: 'octocat', authorAssociation: 'MEMBER' },
};
const rollback = { ...push, kind: 'rollback', rollback: { environment: 'prod', projects: ['network', 'app'] } };
const drift = { ...push, kind: 'drift', drift: { environment: 'prod', projects: ['network'] } };

const accepted: [string, unknown][] = [
  ['a push', push],
  [
    'a push without the optional fields',
    { ...push, defaultBranch: undefined, before: undefined, commitMessage: undefined },
  ],
  ['a pull request plan', plan],
  ['a comment command', comment],
  ['a rollback', rollback],
  ['a drift check', drift],
  ['a commit message of 4096 characters', { ...push, commitMessage: 'x'.repeat(4096) }],
  ['an unknown field (dropped)', { ...push, unknown: 'field', pullRequest: { ...plan.pullRequest, extra: 1 } }],
  ['a drift field on a push (the contract does not tie fields to kinds)', { ...push, drift: drift.drift }],
];

const rejected: [string, unknown][] = [
  ['no object', 'push'],
  ['null', null],
  ['an empty run id', { ...push, runId: '' }],
  ['no delivery id', { ...push, deliveryId: undefined }],
  ['an unknown kind', { ...push, kind: 'deploy' }],
  ['a repository without an owner', { ...push, repo: 'infra' }],
  ['a repository pattern', { ...push, repo: 'octo-org/*' }],
  ['a short sha', { ...push, sha: 'ec26c3e' }],
  ['an upper-case sha', { ...push, sha: 'EC26C3E57CA3A959CA5AAD62DE7213C562F8C821' }],
  ['a number for a string', { ...push, branch: 1 }],
  ['a commit message of 4097 characters', { ...push, commitMessage: 'x'.repeat(4097) }],
  ['pull request number 0', { ...plan, pullRequest: { ...plan.pullRequest, number: 0 } }],
  ['a fractional pull request number', { ...plan, pullRequest: { ...plan.pullRequest, number: 1.5 } }],
  ['fromFork as text', { ...plan, pullRequest: { ...plan.pullRequest, fromFork: 'false' } }],
  ['a fractional comment id', { ...comment, comment: { ...comment.comment, id: 4.2 } }],
  ['comment args that are not strings', { ...comment, comment: { ...comment.comment, args: [1] } }],
  ['a rollback without projects', { ...rollback, rollback: { environment: 'prod', projects: [] } }],
  ['a rollback with an empty environment', { ...rollback, rollback: { environment: '', projects: ['app'] } }],
  ['a drift check without projects', { ...drift, drift: { environment: 'prod', projects: [] } }],
  ['a drift check with an empty project', { ...drift, drift: { environment: 'prod', projects: [''] } }],
  ['no receivedAt', { ...push, receivedAt: undefined }],
];

describe('the webhook’s RunRequest schema (zod/mini) and the contract’s', () => {
  it('have the same JSON Schema: the same fields, types and rules', () => {
    expect(mini.toJSONSchema(LightRunRequest)).toEqual(classic.toJSONSchema(RunRequest));
  });

  it('infer the same type', () => {
    expectTypeOf<mini.infer<typeof LightRunRequest>>().toEqualTypeOf<classic.infer<typeof RunRequest>>();
  });

  it.each(accepted)('both accept %s, with the same output', (_name, request) => {
    const light = LightRunRequest.safeParse(request);
    const full = RunRequest.safeParse(request);
    expect(full.success).toBe(true);
    expect(light.success).toBe(true);
    expect(light.data).toEqual(full.data);
  });

  it('both drop an unknown field', () => {
    const light = LightRunRequest.parse({ ...push, unknown: 'field' });
    expect(light).not.toHaveProperty('unknown');
    expect(light).toEqual(RunRequest.parse({ ...push, unknown: 'field' }));
  });

  it.each(rejected)('both reject %s, at the same path', (_name, request) => {
    const light = LightRunRequest.safeParse(request);
    const full = RunRequest.safeParse(request);
    expect(full.success).toBe(false);
    expect(light.success).toBe(false);
    expect(light.error?.issues.map((issue) => issue.path)).toEqual(full.error?.issues.map((issue) => issue.path));
  });
});
