import type { WorkflowFigures } from './lib/measure-workflow.ts';
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
}
