import { isFinal } from '../../functions/lib/status.ts';
import type { Status } from '../../functions/lib/status.ts';
import { sendWebhook } from '../../local/git/send-webhook.ts';
import { BenchError } from './bench-error.ts';
import { startBenchStack, type BenchRepository, type BenchStack, type EndedRun } from './bench-stack.ts';
import { countTransitions, type TransitionCount } from './count-transitions.ts';
import { NOOP_PROJECT, noopRepository } from './noop-config.ts';
import { pollUntil } from './poll-until.ts';
import { pullRequestPayload } from '../../local/git/pull-request-payload.ts';
import { runUsage, type RunUsage } from './run-cost.ts';

export interface ScenarioFigures extends TransitionCount {
  scenario: string;
  runStatus: Status;
  /** How the run should end; a figure of a run that ended otherwise is printed with its reason. */
  expectedStatus: Status;
  reason?: string;
  executionStatus: string;
  /** Names of the states entered, in order. */
  states: string[];
  /** Lambda task and build durations, for the cost per run. */
  usage: RunUsage;
}

export interface WorkflowFigures {
  scenarios: ScenarioFigures[];
  /** Milliseconds from `git push` to the run's final record, one per no-op deploy. */
  deployMs: number[];
}

export const DEPLOY_RUNS = 5;

/**
 * The figures of issue 3 on the local stack in this process: state transitions of a single-target
 * deploy, a no-change run and a pull request's plan-only run, and the wall time of no-op deploys
 * once the stack is warm.
 */
export async function measureWorkflow(): Promise<WorkflowFigures> {
  const bench = await startBenchStack();
  try {
    const deploy = await bench.repository('bench-deploy', noopRepository());
    const single = await pushAndEnd(bench, deploy, 'first deploy');

    // The stack has deployed once: its handlers, clients and build workspace are warm.
    const deployMs: number[] = [];
    for (let i = 1; i <= DEPLOY_RUNS; i++) {
      const push = await deploy.push({ [`${NOOP_PROJECT.dir}/version`]: `${i}\n` }, `deploy ${i}`);
      const runId = onlyRun(push.runIds, push.output);
      const run = await pollUntil(
        () => bench.store.getRun(runId),
        (record) => isFinal(record.status),
        { what: `run ${runId} to end` },
      );
      deployMs.push(performance.now() - push.startedAt);
      if (run.status !== 'succeeded') throw new BenchError(`no-op deploy ${runId} ended ${run.status}: ${run.reason}`);
      // The execution goes on to Notify after the record: let it end before the next push.
      await bench.ended(runId);
    }

    const unchanged = await bench.repository('bench-nochange', noopRepository({ noChanges: true }));
    const noChange = await pushAndEnd(bench, unchanged, 'first deploy');
    const planOnly = await pullRequestRun(bench, deploy);

    return {
      scenarios: [
        figures('(a) deploy, 1 target, no approval', single, 'succeeded'),
        figures('(b) no-change run', noChange, 'no_changes'),
        figures('(c) plan only (pull_request)', planOnly, 'succeeded'),
      ],
      deployMs,
    };
  } finally {
    await bench.stop();
  }
}

/** Pushes a branch (its push run is skipped: no environment follows it), then opens a pull request of it. */
async function pullRequestRun(bench: BenchStack, repo: BenchRepository): Promise<EndedRun> {
  const baseSha = await repo.sha('HEAD');
  const branch = await repo.push({ [`${NOOP_PROJECT.dir}/version`]: 'proposed\n' }, 'propose', 'feature/bench');
  const skipped = await bench.ended(onlyRun(branch.runIds, branch.output));
  if (skipped.run.status !== 'skipped') {
    throw new BenchError(`the push of feature/bench should start a skipped run, it ended ${skipped.run.status}`);
  }

  const payload = pullRequestPayload({
    repo: repo.fullName,
    headRef: 'feature/bench',
    headSha: branch.sha,
    baseRef: 'main',
    baseSha,
  });
  const answer = await sendWebhook({
    url: bench.stack.webhookUrl,
    secret: bench.stack.secret,
    event: 'pull_request',
    payload,
  });
  const runId = (answer.body as { runId?: unknown } | undefined)?.runId;
  if (answer.status !== 202 || typeof runId !== 'string') {
    throw new BenchError(`the pull_request webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return bench.ended(runId);
}

async function pushAndEnd(bench: BenchStack, repo: BenchRepository, message: string): Promise<EndedRun> {
  const push = await repo.push({}, message);
  return bench.ended(onlyRun(push.runIds, push.output));
}

function onlyRun(runIds: string[], output: string): string {
  if (runIds.length !== 1) throw new BenchError(`expected the push to start one run; git said:\n${output}`);
  return runIds[0]!;
}

function figures(scenario: string, ended: EndedRun, expectedStatus: Status): ScenarioFigures {
  return {
    scenario,
    ...countTransitions(ended.history),
    runStatus: ended.run.status,
    expectedStatus,
    ...(ended.run.reason === undefined ? {} : { reason: ended.run.reason }),
    executionStatus: ended.executionStatus ?? 'unknown',
    states: ended.history.flatMap((event) =>
      event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : [],
    ),
    usage: runUsage(ended.history),
  };
}
