import { describe, expect, it } from 'vitest';
import { isAllowedRepo } from '../../../functions/lib/webhook/is-allowed-repo.ts';

describe('isAllowedRepo', () => {
  const allowed = ['octo-org/infra', 'platform/*'];

  it.each([
    ['octo-org/infra', true],
    ['Octo-Org/INFRA', true],
    ['platform/anything', true],
    ['PLATFORM/Other.repo', true],
    ['octo-org/infra-2', false],
    ['octo-org/other', false],
    ['platformx/repo', false],
    ['evil/platform', false],
    ['platform', false],
    ['/infra', false],
  ])('%s → %s', (repo, expected) => {
    expect(isAllowedRepo(repo, allowed)).toBe(expected);
  });

  it('allows nothing with an empty list', () => {
    expect(isAllowedRepo('octo-org/infra', [])).toBe(false);
  });

  it('does not read a bare * as every owner', () => {
    expect(isAllowedRepo('octo-org/infra', ['*', '/*'])).toBe(false);
  });
});
