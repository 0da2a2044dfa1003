import { describe, expect, it } from 'vitest';
import { git } from '../../local/git/local-repository.ts';
import { isFinal } from '../../functions/lib/status.ts';
import type { RunRecord } from '../../functions/lib/store/types.ts';
import { commandRepo, deployedVersion } from './support/command-repo.ts';
import { startScenario, type Scenario } from './support/dev-session.ts';
import { commitAs, octokitAs, people, split } from './support/people.ts';

// The pull request as GitHub users live it, driven only from outside a `pushgate dev` process: its
// local GitHub acts as the token's user and sends the webhooks GitHub sends (pull_request opened and
// synchronize, issue_comment, the merge's push), and every check reads what GitHub would show (the
// pull request's comments, the commit's statuses) through the REST API with Octokit.

const SCENARIO_TIMEOUT_MS = 120_000;
const BOT = 'pushgate[bot]';
const MARKER = '<!-- pushgate';
const ZERO_SHA = '0'.repeat(40);

/** The runs of a commit once one of `kind` has ended (newest first). */
async function finishedRunOf(session: Scenario, sha: string, kind: RunRecord['kind']): Promise<RunRecord> {
  return session.aws.waitFor(
    `a ${kind} run of ${sha.slice(0, 7)} to end`,
    async () => {
      const runs = await session.aws.runsBySha(sha);
      return runs.find((run) => run.kind === kind && isFinal(run.status) && run.notifications !== undefined);
    },
    60_000,
  );
}

describe.concurrent('pull requests on the local GitHub', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  it('one sticky comment and per-environment statuses, updated across three pushes; `/pushgate plan` from a reader is refused with a reply, a writer plans again; the merge deploys', async (context) => {
    const session = await startScenario('pr-feedback', context);
    const { bob } = people(session);
    const github = octokitAs(session, bob);
    const where = split(session.dev.info.repo);
    const clone = await session.clone();
    await commitAs(clone, bob);

    // main deploys pr-staging and pr-prod; a pull request only plans them.
    await clone.commit(commandRepo('main', { environments: ['pr-staging', 'pr-prod'] }), 'first');
    const first = await clone.push('main');
    expect(first.runIds).toHaveLength(1);
    await session.aws.finished(first.runIds[0]!);

    await git(clone.dir, 'checkout', '--quiet', '-b', 'feature');
    let head = await clone.commit({ 'app/version': '2\n' }, 'version 2');
    await clone.push('feature');
    const { data: pull } = await github.rest.pulls.create({ ...where, head: 'feature', base: 'main', title: 'v2' });

    const heads = [head];
    await finishedRunOf(session, head, 'plan');
    const sticky = async () => {
      const { data } = await github.rest.issues.listComments({ ...where, issue_number: pull.number, per_page: 100 });
      return data.filter((comment) => comment.user?.login === BOT && comment.body?.includes(MARKER));
    };
    const [firstSticky] = await sticky();
    expect(firstSticky).toBeDefined();
    for (const version of ['3', '4']) {
      head = await clone.commit({ 'app/version': `${version}\n` }, `version ${version}`);
      heads.push(head);
      await clone.push('feature');
      await finishedRunOf(session, head, 'plan');
    }

    // One comment by pushgate, edited in place: it shows the last push's plan.
    const ours = await sticky();
    expect(ours).toHaveLength(1);
    expect(ours[0]!.id).toBe(firstSticky!.id);
    const body = ours[0]!.body!;
    expect(body).toContain(head.slice(0, 7));
    expect(body).toMatch(/pr-staging/);
    expect(body).toMatch(/pr-prod/);
    expect(body).toMatch(/\| app \| pr-staging \| .*planned/);
    // Each plan as the tool printed it, collapsed: the last push's.
    expect(body).toContain('<details>');
    expect(body).toContain('app → pr-staging: version 4');
    expect(body).not.toContain('version 3');
    expect(body.length).toBeLessThanOrEqual(65_536);

    // Every pushed head has its statuses, one per environment; the last ones are successes.
    for (const sha of heads) {
      const { data: combined } = await github.rest.repos.getCombinedStatusForRef({ ...where, ref: sha });
      expect(combined.statuses.map((status) => status.context).sort()).toEqual([
        'pushgate/pr-prod',
        'pushgate/pr-staging',
      ]);
      expect(combined.state).toBe('success');
    }
    const { data: history } = await github.rest.repos.listCommitStatusesForRef({ ...where, ref: head });
    // pending when the run started, then success: newest first.
    expect(history.filter((status) => status.context === 'pushgate/pr-staging').map((s) => s.state)).toEqual([
      'success',
      'pending',
    ]);

    // `/pushgate plan` needs write access (asked of GitHub): a reader is told so on the pull request and
    // nothing runs; a writer's plan runs at the head again, and the statuses and the sticky comment stay.
    const { carol } = people(session);
    const readerAsks = await octokitAs(session, carol).rest.issues.createComment({
      ...where,
      issue_number: pull.number,
      body: '/pushgate plan',
    });
    await github.rest.issues.createComment({ ...where, issue_number: pull.number, body: '/pushgate plan' });
    const commentRun = (actor: string) =>
      session.aws.waitFor(
        `${actor}'s comment run to end`,
        async () => {
          const runs = await session.aws.runsBySha(ZERO_SHA);
          return runs.find(
            (run) =>
              run.kind === 'comment' &&
              run.pullRequest === pull.number &&
              run.actor === actor &&
              isFinal(run.status) &&
              (run.status === 'skipped' || run.notifications !== undefined),
          );
        },
        60_000,
      );
    const [refused, replanned] = await Promise.all([commentRun(carol.login), commentRun(bob.login)]);
    expect(refused.status).toBe('skipped');
    expect(refused.reason).toContain('needs write access');
    const reply = await session.aws.waitFor('the reply to the reader', async () => {
      const { data } = await github.rest.issues.listComments({ ...where, issue_number: pull.number, per_page: 100 });
      return data.find(
        (comment) =>
          comment.user?.login === BOT && comment.id > readerAsks.data.id && comment.body?.includes(carol.login),
      );
    });
    expect(reply.body).toContain('`/pushgate plan` needs write access');
    expect(reply.body).toContain('(you have read)');
    expect(reply.body).not.toContain(`@${carol.login}`); // mentions are neutralised
    expect(replanned.status).toBe('succeeded');
    expect((await session.aws.listTargets(replanned.runId)).map((target) => target.sha)).toEqual([head, head]);
    const { data: replannedStatus } = await github.rest.repos.getCombinedStatusForRef({ ...where, ref: head });
    expect(replannedStatus.state).toBe('success');
    const afterComments = await sticky();
    expect(afterComments.map((comment) => comment.id)).toEqual([firstSticky!.id]);

    // The merge sends the base branch's push: it deploys, and the merge commit gets its statuses.
    const { data: merged } = await github.rest.pulls.merge({ ...where, pull_number: pull.number });
    expect(merged.merged).toBe(true);
    const deploy = await finishedRunOf(session, merged.sha, 'push');
    expect(deploy.status).toBe('succeeded');
    expect(await deployedVersion(session.dev.info.deployRoot, 'pr-prod')).toBe('4\n');
    const { data: mergeStatus } = await github.rest.repos.getCombinedStatusForRef({ ...where, ref: merged.sha });
    expect(mergeStatus.state).toBe('success');
    expect(mergeStatus.statuses.map((status) => status.context).sort()).toEqual([
      'pushgate/pr-prod',
      'pushgate/pr-staging',
    ]);
  });
});
