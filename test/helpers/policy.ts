import { parsePolicy, type LoadedPolicy } from '../../functions/lib/policy/read-policy.ts';
import { LOCAL_POLICY } from '../../local/local-policy.ts';

/** The local stack's default policy: every environment, from the default branch, with a stand-in apply role. */
export const LOCAL_APPLY_ROLE = 'arn:aws:iam::000000000000:role/pushgate-local-deploy';
export const localPolicy: LoadedPolicy = { policy: parsePolicy(LOCAL_POLICY, 'LOCAL_POLICY'), source: 'LOCAL_POLICY' };

/** Like the local policy, but every branch may deploy every environment: for tests of the config's own branch mapping. */
export const ANY_BRANCH_POLICY = [
  'version: 1',
  'repositories:',
  "  - repos: ['*/*']",
  '    applyBeforeMerge: true',
  '    environments:',
  `      '*': { applyRole: '${LOCAL_APPLY_ROLE}', branches: ['**'] }`,
].join('\n');
export const anyBranchPolicy: LoadedPolicy = {
  policy: parsePolicy(ANY_BRANCH_POLICY, 'anyBranchPolicy'),
  source: 'anyBranchPolicy',
};
