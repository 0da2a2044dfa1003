// `npm run demo`: pushgate's whole job on this machine, with no AWS account. A throwaway
// infrastructure repository (examples/infra-repo) is pushed to the local stack four times; every
// step is checked, and the exit code says whether everything behaved as expected.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSummary } from '../functions/lib/plan/format-summary.ts';
import { isFinal } from '../functions/lib/status.ts';
import { localRunHistory } from './stepfunctions/local-run-history.ts';
import type { RunRecord, TargetRecord } from '../functions/lib/store/types.ts';
import { startDevServer, type DevServer } from './dev-server.ts';
import { runIdsIn } from './git/hooked-repository.ts';
import { createLocalRepository, git, type LocalRepository } from './git/local-repository.ts';

const EXAMPLE = fileURLToPath(new URL('../examples/infra-repo/', import.meta.url));
const started = Date.now();
const failures: string[] = [];
const bold = (text: string) => (process.stdout.isTTY ? `\u001b[1m${text}\u001b[22m` : text);

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function check(ok: boolean, what: string): void {
  say(`  ${ok ? '✓' : '✗'} ${what}`);
  if (!ok) failures.push(what);
}

async function pushAndWait(
  dev: DevServer,
  repo: LocalRepository,
): Promise<{ run: RunRecord; targets: TargetRecord[] }> {
  const { stdout, stderr } = await git(repo.work, 'push', '--quiet', 'pushgate', 'main');
  const output = `${stdout}${stderr}`;
  const runId = runIdsIn(output)[0];
  if (!runId) throw new Error(`the push started no run; the hook said:\n${output}`);
  const deadline = Date.now() + 45_000;
  for (;;) {
    const run = await dev.store.getRun(runId);
    if (run && isFinal(run.status) && run.executionArn) {
      await dev.stack.stepfunctions.waitForExecution(run.executionArn, { timeoutMs: 10_000 });
      // Let the progress printer finish its closing lines before the checks are printed.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { run: (await dev.store.getRun(runId))!, targets: await dev.store.listTargets(runId) };
    }
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within 45 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pushgate-demo-'));
  say(bold('pushgate demo: push → validate → plan → apply → notify, all on this machine'));
  const dev = await startDevServer({
    dataDir: join(root, 'data'),
    write: (line) => say(`    ${line}`),
    timeScale: 0.05,
  });
  try {
    say(`  local stack ready in ${Date.now() - started} ms: webhook ${dev.stack.webhookUrl}`);
    const repo = await createLocalRepository(join(root, 'repo'), { template: EXAMPLE });
    await git(repo.work, 'remote', 'add', 'pushgate', dev.remote);
    const lockKeys = ['web', 'api'].flatMap((project) =>
      ['staging', 'prod'].map((environment) => ({ repo: dev.repo, project, environment })),
    );

    say();
    say(bold('1/4  First push: every project deploys to staging, then prod (prod comes `after: staging`)'));
    await repo.commit({}, 'Add the web site and the api settings');
    const first = await pushAndWait(dev, repo);
    check(first.run.status === 'succeeded', `run ${first.run.runId} succeeded`);
    check(
      first.targets.length === 4 && first.targets.every((t) => t.status === 'succeeded'),
      '4 targets deployed (web and api × staging and prod)',
    );
    const stagingDone = Math.max(
      ...first.targets.filter((t) => t.environment === 'staging').map((t) => Date.parse(t.finishedAt ?? '')),
    );
    const history = await localRunHistory(dev.stack.stepfunctions, first.run.executionArn!);
    const prodPlans = history.filter(
      (e) =>
        e.stateEnteredEventDetails?.name === 'Plan' &&
        (e.stateEnteredEventDetails.input ?? '').includes('"environment":"prod"'),
    );
    check(
      prodPlans.length === 2 && prodPlans.every((e) => (e.timestamp?.getTime() ?? 0) >= stagingDone),
      'prod was planned only after staging had been applied',
    );
    const page = await readFile(join(dev.deployRoot, 'prod/web/index.html'), 'utf8').catch(() => '');
    check(page.includes('Hello from pushgate'), `prod/web/index.html is live in ${dev.deployRoot}`);

    say();
    say(bold('2/4  Second push changes one page: only the web project is planned and applied'));
    await repo.commit(
      { 'sites/web/index.html': '<!doctype html>\n<title>pushgate demo</title>\n<h1>Hello again from pushgate</h1>\n' },
      'Reword the greeting',
    );
    const second = await pushAndWait(dev, repo);
    check(second.run.status === 'succeeded', `run ${second.run.runId} succeeded`);
    check(
      second.targets.every((t) => t.project === 'web') && second.targets.length === 2,
      'only web/staging and web/prod ran',
    );
    const summary = second.targets.find((t) => t.environment === 'staging')?.summary;
    check(
      summary?.change === 1 && summary.add === 0 && summary.destroy === 0,
      `plan summary: ${summary ? formatSummary(summary) : 'none'}`,
    );
    const updated = await readFile(join(dev.deployRoot, 'prod/web/index.html'), 'utf8').catch(() => '');
    check(updated.includes('Hello again'), 'prod now serves the new page');

    say();
    say(bold('3/4  A push that breaks pushgate.yml fails cleanly, with the reason, and holds no lock'));
    const config = await readFile(join(repo.work, 'pushgate.yml'), 'utf8');
    await repo.commit({ 'pushgate.yml': config.replace('engine: command', 'engine: pulumi') }, 'Try another engine');
    const third = await pushAndWait(dev, repo);
    check(third.run.status === 'failed', `run ${third.run.runId} failed`);
    check(
      (third.run.reason ?? '').includes('projects[0].engine (line 14)'),
      'the reason names every problem with its line in pushgate.yml',
    );
    const locks = await Promise.all(lockKeys.map((key) => dev.store.getLock(key)));
    check(
      locks.every((lock) => lock === undefined),
      'no lock is held',
    );
    const stillLive = await readFile(join(dev.deployRoot, 'prod/web/index.html'), 'utf8').catch(() => '');
    check(stillLive.includes('Hello again'), 'what was deployed stays deployed');

    say();
    say(bold('4/4  Deployment history and the Slack messages that were sent'));
    for (const environment of ['staging', 'prod']) {
      say(`  ${environment}:`);
      for (const deployment of await dev.store.listDeployments(dev.repo, environment)) {
        const changes = deployment.summary ? formatSummary(deployment.summary) : '';
        say(
          `    ${deployment.deployedAt}  ${deployment.project.padEnd(4)} ${deployment.sha.slice(0, 7)}  run ${deployment.runId}  ${changes}`,
        );
      }
    }
    const prodHistory = await dev.store.listDeployments(dev.repo, 'prod');
    check(prodHistory.length === 3, 'prod history: web twice, api once');
    say('  slack:');
    const posts = dev.stack.slack.messages.filter((message) => message.threadTs === undefined);
    for (const message of posts) {
      const replies = dev.stack.slack.messages.filter((reply) => reply.threadTs === message.ts).length;
      const updates = message.updates > 0 ? `, updated ${message.updates}×` : '';
      say(`    ${message.line}${updates}${replies > 0 ? ` (${replies} in its thread)` : ''}`);
    }
    check(posts.length === 3, 'one Slack message per run, updated in place as the run moves');
  } finally {
    await dev.stop();
    await rm(root, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error));
  say(`  ✗ ${error instanceof Error ? error.message : String(error)}`);
}
say();
if (failures.length === 0) {
  say(bold(`Everything behaved as expected (${((Date.now() - started) / 1000).toFixed(1)} s).`));
} else {
  say(bold(`${failures.length} expectation(s) failed:`));
  for (const failure of failures) say(`  - ${failure}`);
  process.exitCode = 1;
}
