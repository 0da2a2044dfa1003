/**
 * The local stack's platform policy unless one is given: every repository may deploy every
 * environment, from its default branch only (the policy's default), assuming a stand-in role that
 * the local `aws` (local/codebuild/bin/aws) hands out. `/pushgate apply` before a merge may be
 * turned on by a repository's pushgate.yml.
 */
export const LOCAL_POLICY = [
  'version: 1',
  'repositories:',
  "  - repos: ['*/*']",
  '    applyBeforeMerge: true',
  '    environments:',
  "      '*': { applyRole: 'arn:aws:iam::000000000000:role/pushgate-local-deploy' }",
  '',
].join('\n');
