import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../functions/lib/config/invalid-config-error.ts';
import type { PullRequestInfo } from '../../../functions/lib/git/git-host.ts';
import { createDynamoStore } from '../../../functions/lib/store/index.ts';
import type { Store } from '../../../functions/lib/store/types.ts';
import { createValidate } from '../../../functions/lib/run/validate.ts';
import { UnresolvedCommitError } from '../../../functions/lib/targets/unresolved-commit-error.ts';
import type { RunRequest, ValidatedRun } from '../../../functions/lib/workflow/contract.ts';
import { createTestTable, startDynalite, type RunningDynalite } from '../../helpers/dynalite.ts';
import { createMemoryGitHost, type MemoryGitHost } from './memory-git-host.ts';
import { localPolicy } from '../../helpers/policy.ts';
import { runRecordInput } from '../../../functions/lib/run/run-record-input.ts';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';
import { decideTargets } from '../../../functions/lib/targets/decide-targets.ts';
import { parsePolicy } from '../../../functions/lib/policy/read-policy.ts';

/** The domain against the real store on dynalite, with an in-memory GitHost double. */
const HEAD = 'a'.repeat(40);
const BEFORE = 'b'.repeat(40);
const ZERO = '0'.repeat(40);
const NOW = new Date('2025-01-01T00:00:10.000Z');
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/configs/${name}`, import.meta.url), 'utf8');

const push: RunRequest = {
  runId: '01JRUN0000000000000000TEST',
  deliveryId: 'delivery-1',
  kind: 'push',
  repo: 'acme/infra',
  ref: 'refs/heads/main',
  branch: 'main',
  sha: HEAD,
  before: BEFORE,
  actor: 'octocat',
  receivedAt: '2025-01-01T00:00:00.000Z',
};

let dynalite: RunningDynalite;
let store: Store;
let git: MemoryGitHost;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

beforeEach(async () => {
  store = createDynamoStore({ tableName: await createTestTable(dynalite.client), client: dynalite.client });
  git = createMemoryGitHost();
  git.files.set(HEAD, new Map([['pushgate.yml', fixture('valid.yml')]]));
  git.refs.set('heads/main', HEAD);
});

/**
 * Every target of valid.yml deployed at `sha` with its current definition, as earlier runs would
 * have recorded it: what a push is compared against.
 */
async function deployedAt(sha: string, yml = fixture('valid.yml')): Promise<void> {
  const parsed = parseConfig(yml);
  if (!parsed.ok) throw new Error('fixture config is invalid');
  const everything = decideTargets({
    run: push,
    config: parsed.config,
    changedFiles: undefined,
    sourceLocation: 'https://git.example/acme/infra.git',
    policy: localPolicy,
    defaultBranch: 'main',
  });
  for (const target of everything.waves.flat()) {
    await store.recordDeployment({
      repo: push.repo,
      environment: target.environment,
      project: target.project,
      runId: 'earlier',
      sha,
      status: 'succeeded',
      actor: 'octocat',
      deployedAt: '2024-12-31T00:00:00.000Z',
      definition: target.definition,
    });
  }
}

/** The run record as the webhook intake creates it before starting the workflow. */
async function intake(run: RunRequest): Promise<void> {
  await store.createRun(runRecordInput(run));
}

const validate = () => createValidate({ store, gitHost: git, policy: async () => localPolicy, now: () => NOW });

async function storedTargets(runId: string): Promise<string[]> {
  return (await store.listTargets(runId))
    .map((target) => `${target.project}/${target.environment}:${target.status}`)
    .sort();
}

describe('createValidate', () => {
  it('valid config: targets in waves, staging then prod, recorded as queued under a running run', async () => {
    await intake(push);
    await deployedAt(BEFORE);
    git.comparisons.set(`${BEFORE}...${HEAD}`, ['infra/network/main.tf', 'infra/app/template.yaml', 'dns/zone']);
    const result = await validate()(push);

    expect(result.waves.map((wave) => wave.map((target) => `${target.project}/${target.environment}`))).toEqual([
      ['network/staging', 'app/staging'],
      ['network/prod', 'app/prod', 'dns/prod'],
    ]);
    expect(result.settings).toMatchObject({ planOnly: false, sourceLocation: 'https://git.example/acme/infra.git' });
    // The branch still points at the commit; one comparison against what the environments run.
    expect(git.calls).toEqual(['resolveRef heads/main', 'getFile pushgate.yml@aaaaaaa', 'compare bbbbbbb...aaaaaaa']);
    expect(await store.getRun(push.runId)).toMatchObject({ status: 'running', updatedAt: NOW.toISOString() });
    expect(await storedTargets(push.runId)).toEqual([
      'app/prod:queued',
      'app/staging:queued',
      'dns/prod:queued',
      'network/prod:queued',
      'network/staging:queued',
    ]);
    expect(await store.getTarget(push.runId, 'network', 'prod')).toMatchObject({ repo: 'acme/infra', sha: HEAD });
  });

  it('is safe to repeat (the workflow retries Validate)', async () => {
    await intake(push);
    const first = await validate()(push);
    const second = await validate()(push);
    expect(second).toEqual(first);
    expect((await store.getRun(push.runId))?.status).toBe('running');
    expect(await storedTargets(push.runId)).toHaveLength(5);
  });

  it('invalid config: InvalidConfigError listing every problem with its path; nothing recorded', async () => {
    await intake(push);
    git.files.set(HEAD, new Map([['pushgate.yml', fixture('invalid.yml')]]));
    const error = await validate()(push).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidConfigError);
    const { message, problems } = error as InvalidConfigError;
    expect(message.split('\n')[0]).toBe('pushgate.yml at aaaaaaa has 6 problems:');
    for (const path of [
      'environments.prod.after',
      'projects[0].environments[2]',
      'projects[1].name',
      'projects[1].engine',
      'projects[2].cloudformation',
      'concurrency',
    ]) {
      expect(message).toContain(`\n${path} (line `);
    }
    expect(problems).toHaveLength(6);
    expect((await store.getRun(push.runId))?.status).toBe('queued');
    expect(await storedTargets(push.runId)).toEqual([]);
  });

  it('missing pushgate.yml: InvalidConfigError telling where to add it', async () => {
    await intake(push);
    git.files.clear();
    await expect(validate()(push)).rejects.toThrow(
      new InvalidConfigError('no pushgate.yml at aaaaaaa: add one at the repository root'),
    );
  });

  it('takes only the projects whose files changed since what their environment runs', async () => {
    await intake(push);
    await deployedAt(BEFORE);
    git.comparisons.set(`${BEFORE}...${HEAD}`, ['infra/app/template.yaml']);
    const result = await validate()(push);
    expect(result.waves.map((wave) => wave.map((target) => target.project))).toEqual([['app'], ['app']]);
    expect(await storedTargets(push.runId)).toEqual(['app/prod:queued', 'app/staging:queued']);
  });

  it('nothing deployed yet, or a deployed commit the host cannot compare, counts every project as changed', async () => {
    const first = { ...push, before: ZERO };
    await intake(first);
    expect((await validate()(first)).targetCount).toBe(5);
    expect(git.calls).toEqual(['resolveRef heads/main', 'getFile pushgate.yml@aaaaaaa']);

    const forced = { ...push, runId: 'forced' };
    await intake(forced);
    await deployedAt(BEFORE);
    // The double knows no such comparison: undefined, as for a commit gone after a force push.
    git.comparisons.clear();
    expect((await validate()(forced)).targetCount).toBe(5);
  });

  it("the push's `before` does not matter: a target is compared with what its environment runs", async () => {
    await intake(push);
    await deployedAt(ZERO.replace(/0/g, 'c'));
    // `before` says only dns changed, but the environments run an older commit than `before`.
    git.comparisons.set(`${BEFORE}...${HEAD}`, ['dns/zone']);
    git.comparisons.set(`${'c'.repeat(40)}...${HEAD}`, ['dns/zone', 'infra/network/main.tf']);
    const result = await validate()(push);
    expect(
      result.waves
        .flat()
        .map((t) => `${t.project}/${t.environment}`)
        .sort(),
    ).toEqual(['dns/prod', 'network/prod', 'network/staging']);
  });

  it('a commit older than the deployed one (a rollback by force-push) deploys, marked with what it rolls back', async () => {
    await intake(push);
    await deployedAt(BEFORE);
    git.comparisons.set(`${BEFORE}...${HEAD}`, []);
    git.statuses.set(`${BEFORE}...${HEAD}`, 'behind');
    git.comparisons.set(`${HEAD}...${BEFORE}`, ['infra/app/template.yaml']);
    const result = await validate()(push);
    expect(result.waves.flat().map((t) => [t.project, t.environment, t.rollbackOf])).toEqual([
      ['app', 'staging', BEFORE],
      ['app', 'prod', BEFORE],
    ]);
  });

  it('a push whose branch has moved on since deploys nothing, with the reason', async () => {
    await intake(push);
    git.refs.set('heads/main', BEFORE);
    const result = await validate()(push);
    expect(result.skipped).toBe('main now points to bbbbbbb, not aaaaaaa: the newer commit deploys instead');
    expect(git.calls).toEqual(['resolveRef heads/main']);
  });

  it('environments the policy refuses are recorded as skipped targets, with the reason, while the rest deploys', async () => {
    await intake(push);
    const stagingOnly = {
      policy: parsePolicy(
        "version: 1\nrepositories:\n  - repos: ['acme/*']\n    environments:\n      staging: { applyRole: 'arn:aws:iam::111111111111:role/deploy' }\n",
        'test policy',
      ),
      source: 'test policy',
    };
    const result = await createValidate({ store, gitHost: git, policy: async () => stagingOnly, now: () => NOW })(push);
    expect(result.waves.flat().map((t) => `${t.project}/${t.environment}`)).toEqual(['network/staging', 'app/staging']);
    expect(await store.getTarget(push.runId, 'dns', 'prod')).toMatchObject({
      status: 'skipped',
      reason: 'the platform policy lets acme/infra deploy no environment named prod',
    });
    expect(await storedTargets(push.runId)).toEqual([
      'app/prod:skipped',
      'app/staging:queued',
      'dns/prod:skipped',
      'network/prod:skipped',
      'network/staging:queued',
    ]);
  });

  it("a push to another branch is decided by the default branch's pushgate.yml, never its own", async () => {
    const attacker = { ...push, runId: 'attack', ref: 'refs/heads/attacker', branch: 'attacker' };
    git.refs.set('heads/attacker', HEAD);
    git.files.set(HEAD, new Map([['pushgate.yml', fixture('valid.yml').replace(/branch: main/g, 'branch: attacker')]]));
    git.files.set('refs/heads/main', new Map([['pushgate.yml', fixture('valid.yml')]]));
    await intake(attacker);
    const result = await validate()(attacker);
    expect(result.skipped).toBe(
      "no environment is mapped to branch attacker in main's pushgate.yml (a branch's own pushgate.yml can only plan: merge it to main to change what deploys)",
    );
    expect(git.calls).toEqual(['resolveRef heads/attacker', 'getFile pushgate.yml@refs/heads/main']);
  });

  it('a branch without environments is skipped with the reason, without comparing commits', async () => {
    const feature = { ...push, ref: 'refs/heads/feature/x', branch: 'feature/x' };
    git.refs.set('heads/feature/x', HEAD);
    git.files.set('refs/heads/main', new Map([['pushgate.yml', fixture('valid.yml')]]));
    const reason =
      "no environment is mapped to branch feature/x in main's pushgate.yml (a branch's own pushgate.yml can only plan: merge it to main to change what deploys)";
    await intake(feature);
    const result = await validate()(feature);
    expect(result).toMatchObject({ waves: [], targetCount: 0, skipped: reason });
    expect(git.calls).toEqual(['resolveRef heads/feature/x', 'getFile pushgate.yml@refs/heads/main']);
    expect(await store.getRun(feature.runId)).toMatchObject({ status: 'skipped', reason });
    expect(await storedTargets(feature.runId)).toEqual([]);
    // Repeated: the run stays skipped, no error.
    await expect(validate()(feature)).resolves.toMatchObject({ skipped: reason });
  });

  it('a run where nothing watched changed is skipped', async () => {
    await intake(push);
    await deployedAt(BEFORE);
    git.comparisons.set(`${BEFORE}...${HEAD}`, ['README.md']);
    const result = await validate()(push);
    expect(result.skipped).toBe('no project changed: all 5 targets run what this commit defines');
    expect((await store.getRun(push.runId))?.status).toBe('skipped');
  });

  it('a pull request plans only, against the files of the pull request', async () => {
    const pr: RunRequest = {
      ...push,
      kind: 'plan',
      ref: 'refs/heads/feature/x',
      before: undefined,
      pullRequest: { number: 7, baseRef: 'main', baseSha: BEFORE, headRef: 'feature/x', fromFork: false },
    };
    await intake(pr);
    git.comparisons.set(`${BEFORE}...${HEAD}`, ['infra/network/main.tf']);
    const result = await validate()(pr);
    expect(result.settings.planOnly).toBe(true);
    expect(result.waves.flat().map((target) => [target.project, target.environment, target.buildspec.apply])).toEqual([
      ['network', 'staging', undefined],
      ['network', 'prod', undefined],
    ]);
    expect(git.calls).toContain('changedFiles bbbbbbb...aaaaaaa');
  });

  it('a comment command without a commit runs at the pull request head', async () => {
    const comment: RunRequest = {
      ...push,
      kind: 'comment',
      sha: ZERO,
      before: undefined,
      pullRequest: { number: 7, baseRef: 'main', headRef: 'feature/x', fromFork: false },
      comment: { id: 1, command: 'plan', args: [], author: 'octocat' },
    };
    await intake(comment);
    git.pulls.set(7, {
      number: 7,
      headSha: HEAD,
      headRef: 'feature/x',
      baseRef: 'main',
      baseSha: 'main',
      fromFork: false,
      state: 'open',
      merged: false,
    });
    git.comparisons.set(`main...${HEAD}`, ['dns/zone']);
    git.permissions.set('octocat', 'write');
    const result = await validate()(comment);
    expect(result.run.sha).toBe(HEAD);
    expect(git.calls).toEqual([
      'getPullRequest #7',
      'getPermission octocat',
      'getFile pushgate.yml@aaaaaaa',
      'changedFiles main...aaaaaaa',
    ]);
    expect(result.waves.flat().map((target) => `${target.project}/${target.environment}`)).toEqual(['dns/prod']);
    expect(result.settings.planOnly).toBe(true);

    git.pulls.clear();
    await expect(validate()({ ...comment, runId: 'gone' })).rejects.toThrow(
      new UnresolvedCommitError('pull request #7 does not exist in acme/infra'),
    );
  });

  it('a comment command from someone without write access is recorded as skipped, before any config is read', async () => {
    const comment: RunRequest = {
      ...push,
      runId: 'denied',
      kind: 'comment',
      pullRequest: { number: 7, baseRef: 'main', baseSha: BEFORE, headRef: 'feature/x', fromFork: false },
      comment: { id: 1, command: 'apply', args: [], author: 'mallory' },
    };
    await intake(comment);
    git.permissions.set('mallory', 'triage');
    const result = await validate()(comment);
    expect(result.skipped).toBe('mallory has triage access to acme/infra: "/pushgate apply" needs write access');
    expect(result.targetCount).toBe(0);
    expect(git.calls).toEqual(['getPermission mallory']);
    expect(await store.getRun('denied')).toMatchObject({ status: 'skipped', reason: result.skipped });
  });

  it('replies once on the pull request to a comment command without write access; a failed reply is only logged', async () => {
    const comment: RunRequest = {
      ...push,
      runId: 'denied-reply',
      kind: 'comment',
      pullRequest: { number: 7, baseRef: 'main', baseSha: BEFORE, headRef: 'feature/x', fromFork: false },
      comment: { id: 1, command: 'plan', args: [], author: 'mallory' },
    };
    await intake(comment);
    const replies: string[] = [];
    const warnings: string[] = [];
    const replying = (fail = false) =>
      createValidate({
        store,
        gitHost: git,
        policy: async () => localPolicy,
        now: () => NOW,
        reply: async (repo, number, body) => {
          if (fail) throw new Error('GitHub is down');
          replies.push(`${repo}#${number} ${body}`);
        },
        logger: { warn: (message) => warnings.push(message) },
      });

    const first = await replying()(comment);
    expect(first.skipped).toBe('mallory has read access to acme/infra: "/pushgate plan" needs write access');
    expect(replies).toEqual([
      'acme/infra#7 @\u200Bmallory: `/pushgate plan` needs write access to acme/infra (you have read)',
    ]);
    // The workflow retries Validate: the run is skipped already, so no second reply.
    expect((await replying()(comment)).skipped).toBe(first.skipped);
    expect(replies).toHaveLength(1);

    // A reply GitHub refuses does not fail the run.
    const failing = { ...comment, runId: 'denied-fail' };
    await intake(failing);
    const failed = await replying(true)(failing);
    expect(failed.skipped).toContain('needs write access');
    expect(warnings).toEqual(['could not reply to a refused comment command']);
    expect(await store.getRun('denied-fail')).toMatchObject({ status: 'skipped' });
  });

  it('a drift check nobody recorded is recorded, skipped: only the drift function starts one', async () => {
    const drift: RunRequest = {
      ...push,
      runId: 'drift-1',
      kind: 'drift',
      before: undefined,
      drift: { environment: 'staging', projects: ['network'] },
    };
    const result = await validate()(drift);
    expect(result.skipped).toMatch(/as the drift function recorded it/);
    expect(git.calls).toEqual([]);
    expect(await store.getRun('drift-1')).toMatchObject({ kind: 'drift', status: 'skipped', sha: HEAD });
    expect(await storedTargets('drift-1')).toEqual([]);
  });
});

describe('createValidate: "/pushgate apply" deploys with the base branch configuration', () => {
  const BASE_BRANCH = 'refs/heads/main';
  const apply: RunRequest = {
    ...push,
    runId: 'apply-1',
    kind: 'comment',
    pullRequest: { number: 7, baseRef: 'main', baseSha: BEFORE, headRef: 'feature/x', fromFork: false },
    comment: { id: 1, command: 'apply', args: [], author: 'octocat' },
  };
  const pull: PullRequestInfo = {
    number: 7,
    headSha: HEAD,
    headRef: 'feature/x',
    baseRef: 'main',
    baseSha: BEFORE,
    fromFork: false,
    state: 'open',
    merged: false,
  };
  const allowing = `${fixture('valid.yml')}\napplyBeforeMerge: true\n`;
  /** valid.yml as a pull request might rewrite it: prod without approval, dns applying something else. */
  const rewritten = allowing
    .replace('    approval: { required: true, approvers: [octocat] }\n', '')
    .replace('./dns apply "$PUSHGATE_PLAN_FILE"', './exfiltrate-and-apply');
  const layout = (result: ValidatedRun) =>
    result.waves.map((wave) => wave.map((target) => `${target.project}/${target.environment}`));

  async function validateApply(overrides: Partial<RunRequest> = {}): Promise<ValidatedRun> {
    const run = { ...apply, ...overrides };
    await intake(run);
    return validate()(run);
  }

  beforeEach(async () => {
    git.permissions.set('octocat', 'admin');
    git.pulls.set(7, pull);
    git.comparisons.set(`${BEFORE}...${HEAD}`, ['dns/zone', 'infra/network/main.tf']);
    await deployedAt(BEFORE);
  });

  it('is refused unless the base branch sets applyBeforeMerge, whatever the pull request says', async () => {
    git.files.set(HEAD, new Map([['pushgate.yml', allowing]]));
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', fixture('valid.yml')]]));
    const refused = await validateApply();
    expect(refused.skipped).toBe(
      `"/pushgate apply" deploys before the merge only where main's pushgate.yml sets applyBeforeMerge: true; merge to deploy`,
    );
    expect(await store.getRun(apply.runId)).toMatchObject({ status: 'skipped', reason: refused.skipped });

    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    const allowed = await validateApply({ runId: 'apply-2' });
    expect(allowed.skipped).toBeUndefined();
    expect(allowed.settings.planOnly).toBe(false);
    expect(layout(allowed)).toEqual([['network/staging'], ['network/prod', 'dns/prod']]);
    expect(allowed.waves.flat().every((target) => target.buildspec.apply !== undefined)).toBe(true);
    // The code built is the pull request's head; the configuration is the base branch's, as it is now.
    expect(allowed.run.sha).toBe(HEAD);
    expect(await store.getTarget('apply-2', 'dns', 'prod')).toMatchObject({ sha: HEAD, status: 'queued' });
    expect(git.calls.slice(-4)).toEqual([
      'getPermission octocat',
      'getPullRequest #7',
      'getFile pushgate.yml@refs/heads/main',
      'compare bbbbbbb...aaaaaaa',
    ]);
  });

  it("keeps the base branch's approval, after: order and commands when the pull request drops them", async () => {
    git.files.set(HEAD, new Map([['pushgate.yml', rewritten]]));
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    const result = await validateApply();

    const prod = result.waves.flat().filter((target) => target.environment === 'prod');
    expect(prod.map((target) => target.project)).toEqual(['network', 'dns']);
    for (const target of prod)
      expect(target.approval).toEqual({
        required: true,
        approvers: ['octocat'],
        timeoutSeconds: 86400,
        allowSelfApproval: false,
      });
    expect(prod[0]?.after).toEqual(['staging']);
    expect(prod[1]?.buildspec.apply).toContain('./dns apply "$PUSHGATE_PLAN_FILE"');
    expect(JSON.stringify(result.waves)).not.toContain('exfiltrate');
    expect(result.settings).toMatchObject({ concurrency: 'queue', lockWaitMinutes: 30 });
    expect(git.calls).not.toContain('getFile pushgate.yml@aaaaaaa');
  });

  it("the head's pushgate.yml need not even be valid", async () => {
    git.files.set(HEAD, new Map([['pushgate.yml', fixture('broken.yml')]]));
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    const result = await validateApply();
    expect(result.skipped).toBeUndefined();
    expect(result.targetCount).toBe(3);
    expect((await store.getRun(apply.runId))?.status).toBe('running');
  });

  it('a pull request that is closed, or merged, is not applied (that would be a rollback)', async () => {
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    git.pulls.set(7, { ...pull, state: 'closed' });
    const closed = await validateApply();
    expect(closed).toMatchObject({
      waves: [],
      targetCount: 0,
      skipped: 'pull request #7 is closed: /pushgate apply only deploys open pull requests',
    });
    expect(await store.getRun(apply.runId)).toMatchObject({ status: 'skipped', reason: closed.skipped });

    git.pulls.set(7, { ...pull, state: 'closed', merged: true });
    const merged = await validateApply({ runId: 'apply-merged' });
    expect(merged.skipped).toBe('pull request #7 is merged: /pushgate apply only deploys open pull requests');
    expect(await store.getRun('apply-merged')).toMatchObject({ status: 'skipped', reason: merged.skipped });
    expect(git.calls.filter((call) => call.startsWith('getFile'))).toEqual([]);
    expect(await storedTargets(apply.runId)).toEqual([]);
  });

  it('the pull request is looked up as it is now when the comment carries no commit', async () => {
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    git.pulls.set(7, { ...pull, state: 'closed' });
    const result = await validateApply({ sha: ZERO, pullRequest: { ...apply.pullRequest!, fromFork: true } });
    expect(result.skipped).toBe('pull request #7 is closed: /pushgate apply only deploys open pull requests');
    expect(result.run.sha).toBe(HEAD);
    // Looked up once, for the head and for the state.
    expect(git.calls).toEqual(['getPullRequest #7', 'getPermission octocat']);
  });

  it('a base branch without a valid pushgate.yml skips the apply with the reason', async () => {
    git.files.set(HEAD, new Map([['pushgate.yml', allowing]]));
    const missing = await validateApply();
    expect(missing.skipped).toBe(
      "no pushgate.yml on main: /pushgate apply deploys with the base branch's pushgate.yml",
    );

    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', fixture('invalid.yml')]]));
    const invalid = await validateApply({ runId: 'apply-invalid' });
    const [first, ...problems] = invalid.skipped!.split('\n');
    expect(first).toBe(
      "/pushgate apply deploys with the base branch's pushgate.yml, and pushgate.yml on main has 6 problems:",
    );
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/^environments\.prod\.after \(line \d+\)/);
    expect(await store.getRun('apply-invalid')).toMatchObject({ status: 'skipped', reason: invalid.skipped });
    expect(await storedTargets('apply-invalid')).toEqual([]);
  });

  it('a pull request from a fork is still refused', async () => {
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    const result = await validateApply({ pullRequest: { ...apply.pullRequest!, fromFork: true } });
    expect(result.skipped).toMatch(/^pull request #7 comes from a fork/);
  });

  it('a pull request that does not exist is an UnresolvedCommitError', async () => {
    git.pulls.clear();
    await expect(validateApply()).rejects.toThrow(
      new UnresolvedCommitError('pull request #7 does not exist in acme/infra'),
    );
  });

  it('"/pushgate plan" and pull request runs still plan with the pull request\'s own pushgate.yml', async () => {
    git.files.set(HEAD, new Map([['pushgate.yml', rewritten]]));
    git.files.set(BASE_BRANCH, new Map([['pushgate.yml', allowing]]));
    const plan = await validateApply({ comment: { ...apply.comment!, command: 'plan' } });
    expect(plan.settings.planOnly).toBe(true);
    const prod = plan.waves.flat().filter((target) => target.environment === 'prod');
    expect(prod.map((target) => target.approval.required)).toEqual([false, false]);
    expect(prod[1]?.buildspec.plan).toBeDefined();
    expect(git.calls).toContain('getFile pushgate.yml@aaaaaaa');
    expect(git.calls).not.toContain('getFile pushgate.yml@refs/heads/main');
    expect(git.calls).not.toContain('getPullRequest #7');

    const pr = await validateApply({ runId: 'pr-1', kind: 'plan', comment: undefined });
    expect(pr.waves.flat().filter((target) => target.environment === 'prod')).toHaveLength(2);
    expect(pr.waves.flat().every((target) => !target.approval.required)).toBe(true);
  });
});

describe('createValidate: a rollback deploys only an earlier deployment', () => {
  const rollback: RunRequest = {
    ...push,
    runId: '01JRUN0000000000000ROLLBACK',
    deliveryId: 'rollback-1',
    kind: 'rollback',
    sha: BEFORE,
    before: ZERO,
    rollback: { environment: 'staging', projects: ['network'] },
  };

  // The attack: whoever can start an execution sends a rollback of a commit that never ran there.
  it('refuses an execution the rollback function did not record, whatever its input says', async () => {
    await deployedAt(BEFORE);
    git.files.set('refs/heads/main', new Map([['pushgate.yml', fixture('valid.yml')]]));
    // No run record, or one that names someone else: a crafted StartExecution.
    const unrecorded = { ...rollback, runId: '01JRUN00000000000UNRECORDED' };
    expect((await validate()(unrecorded)).skipped).toBe(
      'a rollback runs only as the rollback function recorded it (pushgate rollback)',
    );
    expect(await storedTargets(unrecorded.runId)).toEqual([]);
    await intake({ ...rollback, actor: 'alice-admin' });
    expect((await validate()(rollback)).skipped).toBe(
      'a rollback runs only as the rollback function recorded it (pushgate rollback)',
    );
    expect(await storedTargets(rollback.runId)).toEqual([]);
  });

  it('refuses a commit never deployed successfully there, whoever started the execution', async () => {
    await intake(rollback);
    git.files.set(BEFORE, new Map([['pushgate.yml', fixture('valid.yml')]]));
    const result = await validate()(rollback);
    expect(result.skipped).toMatch(/^bbbbbbb was never deployed successfully to network\/staging/);
    expect(result.waves.flat()).toEqual([]);
    expect(await storedTargets(rollback.runId)).toEqual([]);
  });

  it("deploys a recorded earlier deployment to its one environment and project, with the default branch's pushgate.yml", async () => {
    await intake(rollback);
    await deployedAt(BEFORE);
    // Then HEAD deployed over it: what the rollback undoes.
    const [earlier] = await store.listDeployments(push.repo, 'staging', { project: 'network', limit: 1 });
    await store.recordDeployment({ ...earlier!, sha: HEAD, runId: 'later', deployedAt: '2025-01-01T00:00:00.000Z' });
    // The old commit's own pushgate.yml would deploy nothing: the one reviewed now decides.
    git.files.set(BEFORE, new Map([['pushgate.yml', 'not: [valid']]));
    git.files.set('refs/heads/main', new Map([['pushgate.yml', fixture('valid.yml')]]));
    const result = await validate()(rollback);
    expect(result.skipped).toBeUndefined();
    expect(result.waves.flat().map((target) => `${target.project}/${target.environment}`)).toEqual(['network/staging']);
    expect(result.run).toMatchObject({ kind: 'rollback', sha: BEFORE });
    expect(git.calls).toContain('getFile pushgate.yml@refs/heads/main');
    expect(git.calls.filter((call) => call.includes('bbbbbbb') && call.startsWith('getFile'))).toEqual([]);
  });
});

describe('createValidate: a drift check plans exactly what runs, as the drift function recorded it', () => {
  const drift: RunRequest = {
    ...push,
    runId: '01JRUN000000000000000DRIFT',
    deliveryId: 'drift-01JRUN000000000000000DRIFT',
    kind: 'drift',
    sha: BEFORE,
    before: undefined,
    actor: 'pushgate',
    drift: { environment: 'prod', projects: ['network', 'dns'] },
  };

  it("plans the named projects at the deployed commit with the default branch's pushgate.yml, no change detection", async () => {
    await deployedAt(BEFORE);
    await intake(drift);
    git.files.set(BEFORE, new Map([['pushgate.yml', 'not: [valid']]));
    git.files.set('refs/heads/main', new Map([['pushgate.yml', fixture('valid.yml')]]));
    const result = await validate()(drift);
    expect(result.skipped).toBeUndefined();
    expect(result.settings.planOnly).toBe(true);
    expect(result.waves.flat().map((t) => `${t.project}/${t.environment}`)).toEqual(['network/prod', 'dns/prod']);
    expect(git.calls).toEqual(['getFile pushgate.yml@refs/heads/main']);
    expect(await storedTargets(drift.runId)).toEqual(['dns/prod:queued', 'network/prod:queued']);
  });

  // The attack: whoever can start an execution sends a drift check with its own commit or scope.
  it('refuses an input that differs from the record (commit, environment, projects, actor)', async () => {
    await deployedAt(BEFORE);
    await intake(drift);
    git.files.set('refs/heads/main', new Map([['pushgate.yml', fixture('valid.yml')]]));
    for (const crafted of [
      { ...drift, sha: HEAD },
      { ...drift, drift: { environment: 'staging', projects: ['network'] } },
      { ...drift, drift: { environment: 'prod', projects: ['network', 'dns', 'app'] } },
      { ...drift, actor: 'mallory' },
    ]) {
      expect((await validate()(crafted)).skipped).toMatch(/as the drift function recorded it/);
    }
    expect(await storedTargets(drift.runId)).toEqual([]);
  });

  it('skips a check whose commit no longer runs there', async () => {
    await deployedAt(HEAD);
    await intake(drift);
    const result = await validate()(drift);
    expect(result.skipped).toMatch(/^deployed moved on .*network runs aaaaaaa now; dns runs aaaaaaa now/);
    expect(await storedTargets(drift.runId)).toEqual([]);
  });
});
