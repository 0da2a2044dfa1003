import { userInfo } from 'node:os';

/**
 * Slack user ids of the local GitHub's people (local/github/users.ts), as the platform policy maps
 * them for the Approve buttons: pressing a button as one of these ids (a signed `block_actions` POST
 * to `pushgate dev`'s `slack.actionsUrl`) decides as that login. Any other Slack user is refused.
 */
export const LOCAL_SLACK_USERS: Readonly<Record<string, string>> = {
  U0ALICE000: 'alice-admin',
  U0BOB00000: 'bob-writer',
  U0DAVE0000: 'dave-writer',
  U0CAROL000: 'carol-reader',
};

/**
 * The ARN the local STS (local/sts/start-sts.ts) proves every caller to be: `pushgate approve|reject`
 * on `pushgate dev` is this IAM user. Built as the STS builds it.
 */
export function localAwsPrincipal(username: string = userInfo().username): string {
  return `arn:aws:iam::000000000000:user/local-${username.replace(/[^\w+=,.@-]/g, '-') || 'user'}`;
}

/** The local CLI caller is the local admin: `pushgate approve` decides as alice-admin (policy awsPrincipals). */
export const LOCAL_AWS_PRINCIPALS: Readonly<Record<string, string>> = { [localAwsPrincipal()]: 'alice-admin' };

/**
 * The local stack's platform policy unless one is given: every repository may deploy every
 * environment, from its default branch only (the policy's default), assuming a stand-in role that
 * the local `aws` (local/codebuild/bin/aws) hands out. `/pushgate apply` before a merge may be
 * turned on by a repository's pushgate.yml. The local people's Slack ids are mapped to their logins,
 * and the local STS's caller to alice-admin.
 */
export const LOCAL_POLICY = [
  'version: 1',
  'repositories:',
  "  - repos: ['*/*']",
  '    applyBeforeMerge: true',
  '    environments:',
  "      '*': { applyRole: 'arn:aws:iam::000000000000:role/pushgate-local-deploy' }",
  'slackUsers:',
  ...Object.entries(LOCAL_SLACK_USERS).map(([id, login]) => `  ${id}: ${login}`),
  'awsPrincipals:',
  ...Object.entries(LOCAL_AWS_PRINCIPALS).map(([arn, login]) => `  '${arn}': ${login}`),
  '',
].join('\n');
