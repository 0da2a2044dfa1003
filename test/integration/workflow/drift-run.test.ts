import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecordInput } from '../../../functions/lib/run/run-record-input.ts';
import { executionName } from '../../../functions/lib/webhook/execution-name.ts';
import { newRunId } from '../../../functions/lib/webhook/new-run-id.ts';
import type { TargetRecord } from '../../../functions/lib/store/types.ts';
import type { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { approveRecorded } from '../../helpers/approve-recorded.ts';
import { startHarness, type Harness, type HarnessRepo } from '../../helpers/stack-harness.ts';

// Drift checks through the local stack's real parts: dynalite, the local Step Functions running the
// ASL, the local CodeBuild running a `command` project's tool. A drift run is started as the drift
// function starts one (the run recorded first, kind drift, actor pushgate, then the execution);
// drift is made by editing what the project deployed, as a person changing it by hand would.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

/**
 * The project's deploy tool: `plan` compares the deployed `version` with the repository's and plans
 * only a difference (an empty plan.out is "no changes" for the command engine); `apply` writes it
 * and appends to an apply log, so a test sees every apply.
 */
const DRIFT_TOOL = `#!/usr/bin/env bash
set -euo pipefail
dest="$PUSHGATE_DEPLOY_ROOT/$PUSHGATE_ENVIRONMENT/$PUSHGATE_PROJECT"
case "$1" in
  plan)
    if [ -f "$dest/version" ] && cmp -s "$dest/version" version; then : > plan.out; else cp version plan.out; fi
    echo "plan: $(wc -c < plan.out) bytes"
    ;;
  apply)
    mkdir -p "$dest"
    cp "$PUSHGATE_PLAN_FILE" "$dest/version"
    echo "applied $(cat "$PUSHGATE_PLAN_FILE")" >> "$dest.applies"
    ;;
esac
`;

/** Each scenario's own project name: the deployed files live under the stack's one deploy root. */
function files(project: string, options: { remediate?: boolean; approval?: boolean } = {}): Record<string, string> {
  const drift = `    drift: { schedule: rate(1 hour)${options.remediate ? ', remediate: true' : ''} }`;
  const approval = options.approval ? ['    approval: { required: true, approvers: [octocat] }'] : [];
  return {
    'pushgate.yml': [
      'version: 1',
      'environments:',
      '  staging:',
      '    branch: main',
      drift,
      ...approval,
      'projects:',
      `  - name: ${project}`,
      `    dir: ${project}`,
      '    engine: command',
      '    environments: [staging]',
      '    command: { plan: bash ../tools/deploy.sh plan, planFile: plan.out, apply: bash ../tools/deploy.sh apply }',
      '',
    ].join('\n'),
    'tools/deploy.sh': DRIFT_TOOL,
    [`${project}/version`]: '1\n',
  };
}

const deployed = (project: string) => join(h.root, 'deployed', 'staging', project);
const version = (name: string) => readFile(join(deployed(name), 'version'), 'utf8').catch(() => undefined);
const applies = async (name: string) =>
  (await readFile(`${deployed(name)}.applies`, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

interface DriftRun {
  request: RunRequest;
  status?: string;
  states: string[];
}

/** The drift function's part: record the run (kind drift, actor pushgate), then start the execution. */
async function startDrift(
  repo: HarnessRepo,
  sha: string,
  options: {
    projects?: string[];
    input?: (request: RunRequest) => unknown;
    record?: boolean;
    /** Called once the execution runs, before waiting for its end (to approve, say). */
    meanwhile?: (runId: string) => Promise<void>;
  } = {},
  project = repo.fullName.slice('local/'.length),
): Promise<DriftRun> {
  const runId = newRunId();
  const request: RunRequest = {
    runId,
    deliveryId: `drift-${runId}`,
    kind: 'drift',
    repo: repo.fullName,
    ref: 'refs/heads/main',
    branch: 'main',
    defaultBranch: 'main',
    sha,
    actor: 'pushgate',
    drift: { environment: 'staging', projects: options.projects ?? [project] },
    receivedAt: new Date().toISOString(),
  };
  if (options.record !== false) await h.store.createRun(runRecordInput(request));
  const { executionArn } = h.stack.stepfunctions.startExecution({
    stateMachineArn: h.stack.stateMachineArn,
    name: executionName(request),
    input: JSON.stringify(options.input ? options.input(request) : request),
  });
  await options.meanwhile?.(runId);
  const execution = await h.stack.stepfunctions.waitForExecution(executionArn!, { timeoutMs: 90_000 });
  const history = await h.runHistory(executionArn!);
  return {
    request,
    ...(execution.status ? { status: execution.status } : {}),
    states: (history ?? []).flatMap((event) =>
      event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : [],
    ),
  };
}

const slackAbout = (runId: string) =>
  h.stack.slack.messages.filter((message) => JSON.stringify(message).includes(runId));
const driftMessages = (repo: string) =>
  h.stack.slack.messages.filter((message) => message.line.includes(repo) && /drift check/i.test(message.line));
const current = async (repo: string) => (await h.store.getCurrent(repo, 'staging'))[0];

describe('drift checks', { timeout: 240_000 }, () => {
  it('a check plans the deployed commit: clean says nothing; drift is marked and alerted once; a deploy clears it', async () => {
    const repo = await h.repository('drift-alert', files('drift-alert'));
    const deploy = await repo.deploy({}, 'v1');
    expect(deploy.run.status).toBe('succeeded');
    const sha = deploy.run.sha;
    expect(await version('drift-alert')).toBe('1\n');
    const appliesBefore = await applies('drift-alert');

    const clean = await startDrift(repo, sha);
    expect(clean.status).toBe('SUCCEEDED');
    expect(clean.states).toContain('Plan');
    expect(clean.states).not.toContain('Apply');
    expect(await h.store.listTargets(clean.request.runId)).toEqual([
      expect.objectContaining({ project: 'drift-alert', environment: 'staging', status: 'planned', drifted: false }),
    ]);
    expect((await h.store.getRun(clean.request.runId))?.status).toBe('succeeded');
    expect((await current(repo.fullName))?.drift).toMatchObject({ drifted: false, runId: clean.request.runId });
    expect(slackAbout(clean.request.runId)).toEqual([]);

    // Someone changes what runs, outside pushgate.
    await writeFile(join(deployed('drift-alert'), 'version'), 'edited by hand\n');
    const first = await startDrift(repo, sha);
    const [drifted] = await h.store.listTargets(first.request.runId);
    expect(drifted).toMatchObject({ status: 'planned', drifted: true, driftAlert: true });
    expect(drifted?.summary?.hasChanges).toBe(true);
    const state = (await current(repo.fullName))?.drift;
    expect(state).toMatchObject({ drifted: true, runId: first.request.runId, since: first.request.receivedAt });
    const alerts = slackAbout(first.request.runId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.line).toContain('found drift');
    expect(JSON.stringify(alerts[0]!.payload)).toContain('drift.remediate: true');

    // The same drift, checked again: marked, not alerted.
    const second = await startDrift(repo, sha);
    expect(await h.store.listTargets(second.request.runId)).toEqual([
      expect.objectContaining({ status: 'planned', drifted: true }),
    ]);
    expect((await h.store.listTargets(second.request.runId))[0]?.driftAlert).toBeUndefined();
    expect((await current(repo.fullName))?.drift).toMatchObject({
      since: first.request.receivedAt,
      runId: second.request.runId,
    });
    expect(slackAbout(second.request.runId)).toEqual([]);
    expect(driftMessages(repo.fullName)).toHaveLength(1);

    // A drift check never applies without remediate, and sets no commit status on the deployed commit.
    expect(first.states).not.toContain('Apply');
    expect(await applies('drift-alert')).toBe(appliesBefore);
    expect(await version('drift-alert')).toBe('edited by hand\n');
    const statusesOfChecks = h.stack.github.posted.statuses.filter(
      (status) => status.repo === repo.fullName && status.description?.includes(first.request.runId),
    );
    expect(statusesOfChecks).toEqual([]);
    const deployStatuses = h.stack.github.posted.statuses.filter((status) => status.repo === repo.fullName).length;

    // Cleared by a clean check, and drifting again alerts again.
    await writeFile(join(deployed('drift-alert'), 'version'), '1\n');
    const cleared = await startDrift(repo, sha);
    expect((await h.store.listTargets(cleared.request.runId))[0]).toMatchObject({ drifted: false });
    expect((await current(repo.fullName))?.drift?.drifted).toBe(false);
    expect(slackAbout(cleared.request.runId)).toEqual([]);
    await writeFile(join(deployed('drift-alert'), 'version'), 'edited again\n');
    const again = await startDrift(repo, sha);
    expect((await h.store.listTargets(again.request.runId))[0]).toMatchObject({ drifted: true, driftAlert: true });
    expect(slackAbout(again.request.runId)).toHaveLength(1);
    expect(h.stack.github.posted.statuses.filter((status) => status.repo === repo.fullName)).toHaveLength(
      deployStatuses,
    );

    // A deploy replaces the "deployed now" item: the drift is gone with it.
    const next = await repo.deploy({ 'drift-alert/version': '2\n' }, 'v2');
    expect(next.run.status).toBe('succeeded');
    expect(await current(repo.fullName)).toMatchObject({ sha: next.run.sha, trigger: 'push' });
    expect((await current(repo.fullName))?.drift).toBeUndefined();
    // A check of the commit that no longer runs there is refused before planning.
    const moot = await startDrift(repo, sha);
    expect(moot.states).not.toContain('Plan');
    expect((await h.store.getRun(moot.request.runId))?.reason).toMatch(/deployed moved on/);
  });

  it('remediate: true applies a drifted target again at its deployed commit, recorded with trigger drift', async () => {
    const repo = await h.repository('drift-fix', files('drift-fix', { remediate: true }));
    const deploy = await repo.deploy({}, 'v1');
    const sha = deploy.run.sha;
    const appliesAfterDeploy = await applies('drift-fix');

    // Nothing drifted: nothing applied, no lock left behind.
    const clean = await startDrift(repo, sha);
    expect(clean.states).not.toContain('Apply');
    expect((await h.store.listTargets(clean.request.runId))[0]).toMatchObject({ status: 'no_changes', drifted: false });

    await writeFile(join(deployed('drift-fix'), 'version'), 'edited by hand\n');
    const fix = await startDrift(repo, sha);
    expect(fix.status).toBe('SUCCEEDED');
    expect(fix.states).toContain('Apply');
    expect(await version('drift-fix')).toBe('1\n');
    expect(await applies('drift-fix')).toBe(appliesAfterDeploy + 1);
    expect((await h.store.listTargets(fix.request.runId))[0]).toMatchObject({
      status: 'succeeded',
      drifted: true,
      driftAlert: true,
    });
    expect(await current(repo.fullName)).toMatchObject({ sha, runId: fix.request.runId, trigger: 'drift' });
    expect((await current(repo.fullName))?.drift).toBeUndefined();
    const [latest] = await h.store.listDeployments(repo.fullName, 'staging', { limit: 1 });
    expect(latest).toMatchObject({ runId: fix.request.runId, trigger: 'drift', actor: 'pushgate' });
    expect(
      await h.store.getLock({ repo: repo.fullName, project: 'drift-fix', environment: 'staging' }),
    ).toBeUndefined();
    expect(
      slackAbout(fix.request.runId)
        .map((message) => message.line)
        .join('\n'),
    ).toMatch(/repaired drift/);
  });
});

/** Approves the run's one target as the approval function does, once it waits. */
async function approveWhenWaiting(runId: string, check?: (target: TargetRecord) => Promise<void>): Promise<void> {
  for (let tries = 0; tries < 600; tries += 1) {
    const [target] = await h.store.listTargets(runId);
    if (target?.status === 'awaiting_approval' && target.approvalTaskToken) {
      await check?.(target);
      await approveRecorded(h, target);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} never waited for its approval`);
}

describe('a remediation waits for the approval its environment asks for', { timeout: 240_000 }, () => {
  it('asks in Slack (no commit status), applies once approved, and closes the message with the outcome', async () => {
    const repo = await h.repository('drift-gated', files('drift-gated', { remediate: true, approval: true }));
    const { runIds } = await repo.push({}, 'v1');
    await approveWhenWaiting(runIds[0]!);
    const deploy = await repo.finished(runIds[0]!);
    expect(deploy.run.status).toBe('succeeded');
    const sha = deploy.run.sha;
    await writeFile(join(deployed('drift-gated'), 'version'), 'edited by hand\n');
    const statusesBefore = h.stack.github.posted.statuses.filter((status) => status.repo === repo.fullName).length;

    const fix = await startDrift(repo, sha, {
      meanwhile: (runId) =>
        approveWhenWaiting(runId, async (target) => {
          expect(target).toMatchObject({ drifted: true, driftAlert: true });
        }),
    });
    expect(fix.status).toBe('SUCCEEDED');
    expect(fix.states).toContain('Apply');
    expect(await version('drift-gated')).toBe('1\n');
    expect(await current(repo.fullName)).toMatchObject({ runId: fix.request.runId, trigger: 'drift' });
    expect(h.stack.github.posted.statuses.filter((status) => status.repo === repo.fullName)).toHaveLength(
      statusesBefore,
    );
    expect(
      slackAbout(fix.request.runId)
        .map((message) => message.line)
        .join('\n'),
    ).toMatch(/repaired drift/);
    // The approval request was posted while it waited, then closed in place with the outcome.
    expect(slackAbout(fix.request.runId).some((message) => message.updates > 0)).toBe(true);
  });
});

describe('trust: a drift run does only what the drift function recorded', { timeout: 240_000 }, () => {
  it('a hand-started drift execution (no record, crafted commit, projects or remediate) plans and applies nothing else', async () => {
    const repo = await h.repository('drift-attack', {
      ...files('drift-attack'),
      'other/version': '1\n',
    });
    const deploy = await repo.deploy({}, 'v1');
    const sha = deploy.run.sha;
    await writeFile(join(deployed('drift-attack'), 'version'), 'edited by hand\n');
    const pushed = await repo.push({ 'drift-attack/version': '666\n' }, 'not deployed, not reviewed', 'evil');
    const before = await applies('drift-attack');

    // 1. Not recorded by the drift function at all.
    const unrecorded = await startDrift(repo, sha, { record: false });
    // 2. Recorded for the deployed commit, started with another commit.
    const otherSha = await startDrift(repo, sha, { input: (request) => ({ ...request, sha: pushed.sha }) });
    // 3. Recorded for `app`, started for more projects.
    const moreProjects = await startDrift(repo, sha, {
      input: (request) => ({ ...request, drift: { environment: 'staging', projects: ['drift-attack', 'other'] } }),
    });
    // 4. Recorded as a drift check of a commit that does not run there.
    const notDeployed = await startDrift(repo, pushed.sha);
    for (const attack of [unrecorded, otherSha, moreProjects, notDeployed]) {
      expect(attack.states).not.toContain('Plan');
      expect(attack.states).not.toContain('Apply');
      expect(await h.store.listTargets(attack.request.runId)).toEqual([]);
      expect((await h.store.getRun(attack.request.runId))?.status).toBe('skipped');
    }
    expect((await h.store.getRun(unrecorded.request.runId))?.reason).toMatch(/as the drift function recorded it/);
    expect((await h.store.getRun(otherSha.request.runId))?.reason).toMatch(/as the drift function recorded it/);
    expect((await h.store.getRun(moreProjects.request.runId))?.reason).toMatch(/as the drift function recorded it/);
    expect((await h.store.getRun(notDeployed.request.runId))?.reason).toMatch(/deployed moved on/);

    // 5. remediate in the request: ignored, only the reviewed pushgate.yml decides (here: tell only).
    const remediate = await startDrift(repo, sha, {
      input: (request) => ({ ...request, drift: { ...request.drift, remediate: true }, remediate: true }),
    });
    expect(remediate.states, (await h.store.getRun(remediate.request.runId))?.reason).toContain('Plan');
    expect(remediate.states).not.toContain('Apply');
    expect((await h.store.listTargets(remediate.request.runId))[0]).toMatchObject({ status: 'planned', drifted: true });

    expect(await applies('drift-attack')).toBe(before);
    expect(await version('drift-attack')).toBe('edited by hand\n');
    expect((await current(repo.fullName))?.sha).toBe(sha);
  });
});
