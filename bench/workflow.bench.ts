import { ATLANTIS_MONTHLY, PRICES } from './lib/aws-prices.ts';
import { functionMemory } from './lib/function-memory.ts';
import type { ScenarioFigures, WorkflowFigures } from './lib/measure-workflow.ts';
import { printTable } from './lib/print-table.ts';
import { runInChild } from './lib/run-in-child.ts';
import { summarizeTimes } from './lib/summarize-times.ts';

const TRANSITION_GOAL = 15;

/**
 * Issue 3: what a run costs in Step Functions state transitions, and how long a no-op deploy takes
 * on the local stack. The stack runs in a process of its own: it loads the handlers once per process
 * (local/stack.ts), and intake.bench.ts, run before this in the same process, has loaded the webhook
 * handler with a configuration of its own.
 */
export default async function workflowBench(): Promise<void> {
  const figures = await runInChild<WorkflowFigures>(new URL('./lib/workflow-child.ts', import.meta.url), {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });

  console.log(
    '\n(1) state transitions per run, from the local execution history (deploy.asl.yml, unchanged); ' +
      '"retries" are task attempts after the first, which AWS bills as transitions too',
  );
  printTable(
    ['run', 'ends (run / execution)', 'transitions', 'retries', 'history events', 'goal'],
    figures.scenarios.map((scenario) => [
      scenario.scenario,
      `${scenario.runStatus}${scenario.runStatus === scenario.expectedStatus ? '' : ` (expected ${scenario.expectedStatus})`} / ${scenario.executionStatus}`,
      String(scenario.transitions),
      String(scenario.retries),
      String(scenario.events),
      scenario.scenario.startsWith('(a)')
        ? `≤ ${TRANSITION_GOAL}: ${scenario.transitions <= TRANSITION_GOAL ? 'met' : 'MISSED'}`
        : '',
    ]),
    2,
  );
  for (const scenario of figures.scenarios) {
    console.log(`${scenario.scenario.slice(0, 3)} ${scenario.states.join(' → ')}`);
    if (scenario.runStatus !== scenario.expectedStatus) {
      console.log(
        `    ended ${scenario.runStatus}, not ${scenario.expectedStatus}: ${scenario.reason ?? 'no reason recorded'}`,
      );
    }
  }

  const times = summarizeTimes(figures.deployMs);
  console.log(
    `\n(2) no-op \`command\` deploy on the local stack (in one process, warm), git push → final run record, ${times.count} runs`,
  );
  printTable(
    ['', 'median ms', 'min ms', 'max ms'],
    [['push → succeeded', times.median.toFixed(0), times.min.toFixed(0), times.max.toFixed(0)]],
  );

  printCost(figures.scenarios);
}

/** A typical Terraform build on AWS (init, plan or apply of a small project), for the build column. */
const TYPICAL_BUILD_SECONDS = 60;

/**
 * (3) What a run costs on AWS, from the figures above: transitions as counted, the Lambda tasks'
 * durations as measured here (warm, in one process: AWS adds cold starts and network time), one API
 * Gateway request and one webhook invocation, and builds priced per second on Lambda compute.
 */
function printCost(scenarios: ScenarioFigures[]): void {
  const memory = functionMemory();
  const webhookGbSeconds = (memory.webhook ?? 256) / 1024 / 10; // 100 ms, a generous warm webhook
  console.log(
    '\n(3) cost per run on AWS (us-east-1 list prices, bench/lib/aws-prices.ts), from the runs above; ' +
      `Lambda task durations measured here, warm, the webhook counted at 100 ms; each build priced at ${TYPICAL_BUILD_SECONDS} s on Lambda compute 2 GB ("compute: lambda") and, apart, at one billed minute on EC2 arm1.small`,
  );
  const rows = scenarios.map((scenario) => {
    const transitions = scenario.transitions + scenario.retries;
    const tasks = scenario.usage.lambda;
    const gbSeconds =
      tasks.reduce(
        (sum, task) => sum + (Math.ceil(task.ms) / 1000) * ((memory[shortName(task.functionName)] ?? 512) / 1024),
        0,
      ) + webhookGbSeconds;
    const requests = tasks.length + 1;
    const sfn = transitions * PRICES.stateTransition;
    const lambda = gbSeconds * PRICES.lambdaArmGbSecond + requests * PRICES.lambdaRequest + PRICES.httpApiRequest;
    const builds = scenario.usage.builds.length;
    const buildCost = builds * TYPICAL_BUILD_SECONDS * PRICES.codeBuildLambdaArm2GbSecond;
    const ec2BuildCost = builds * Math.ceil(TYPICAL_BUILD_SECONDS / 60) * PRICES.codeBuildArmSmallMinute;
    const localBuildSeconds = scenario.usage.builds.reduce((sum, build) => sum + build.ms, 0) / 1000;
    return {
      scenario: scenario.scenario,
      cells: [
        scenario.scenario,
        String(transitions),
        dollars(sfn),
        String(requests),
        gbSeconds.toFixed(3),
        dollars(lambda),
        `${builds} (${localBuildSeconds.toFixed(1)} s here)`,
        dollars(buildCost),
        dollars(sfn + lambda + buildCost),
        dollars(ec2BuildCost),
      ],
      total: sfn + lambda + buildCost,
      orchestration: sfn + lambda,
    };
  });
  printTable(
    [
      'run',
      'transitions',
      'Step Functions',
      'Lambda requests',
      'GB-s',
      'Lambda + API',
      'builds',
      'CodeBuild Lambda',
      'total',
      'CodeBuild on EC2 instead',
    ],
    rows.map((row) => row.cells),
  );
  const deploy = rows[0]!;
  const atlantis = ATLANTIS_MONTHLY.fargate + ATLANTIS_MONTHLY.loadBalancer;
  console.log(
    `1,000 deploys a month: $${(deploy.total * 1000).toFixed(2)} (of which orchestration $${(deploy.orchestration * 1000).toFixed(2)}); ` +
      `an always-on Atlantis (Fargate 0.5 vCPU / 1 GiB + ALB): $${atlantis.toFixed(2)} a month before its first run ` +
      `(${(atlantis / deploy.total).toFixed(0)} deploys' worth).`,
  );
}

/** `pushgate-local-acquireLock` → `acquireLock`. */
function shortName(functionName: string): string {
  return functionName.split('-').pop() ?? functionName;
}

function dollars(amount: number): string {
  return `$${amount < 0.01 ? amount.toFixed(5) : amount.toFixed(4)}`;
}
