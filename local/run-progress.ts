import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { formatSummary } from '../functions/lib/plan/format-summary.ts';
import type { RunStore, TargetStore } from '../functions/lib/store/types.ts';
import type { ExecutionSummary } from './stepfunctions/create-local-step-functions.ts';

/** States whose entry is worth a line: the steps a person follows in the console. */
const SHOWN = new Set([
  'Validate',
  'AcquireLock',
  'Plan',
  'Summarize',
  'WaitForApproval',
  'Apply',
  'ReleaseLock',
  'TargetFailed',
]);

interface StateInput {
  runId?: string;
  repo?: string;
  sha?: string;
  target?: { project?: string; environment?: string };
  /** Set in a child execution's input (state-machines/targets.asl.yml). */
  chunk?: unknown;
}

/**
 * Turns the local Step Functions' history events into the lines `pushgate dev` and the demo print
 * while a run goes on: one line per step entered, then the run's outcome as recorded in DynamoDB.
 * Returns the `onEvent` callback of the local stack.
 */
export function createRunProgress(options: { store: RunStore & TargetStore; write: (line: string) => void }) {
  const { store, write } = options;
  const runIds = new Map<string, string>();
  const children = new Set<string>();
  return async function onEvent(event: HistoryEvent, execution: ExecutionSummary): Promise<void> {
    if (event.type === 'ExecutionStarted') {
      const input = parse(event.executionStartedEventDetails?.input);
      // A child execution (one chunk of the run's targets): its steps are the run's, printed below.
      if (input?.chunk) {
        children.add(execution.executionArn);
        return;
      }
      if (input?.runId) runIds.set(execution.executionArn, input.runId);
      write(`▶ run ${input?.runId ?? execution.name} ${input?.repo ?? ''}@${(input?.sha ?? '').slice(0, 7)}`);
      return;
    }
    const entered = event.stateEnteredEventDetails;
    if (entered?.name && SHOWN.has(entered.name)) {
      const target = parse(entered.input)?.target;
      write(`  ${entered.name.padEnd(15)} ${target ? `${target.project}/${target.environment}` : ''}`.trimEnd());
      return;
    }
    if (event.type !== 'ExecutionSucceeded' && event.type !== 'ExecutionFailed' && event.type !== 'ExecutionAborted')
      return;
    if (children.delete(execution.executionArn)) return;
    const runId = runIds.get(execution.executionArn);
    runIds.delete(execution.executionArn);
    const run = runId ? await store.getRun(runId).catch(() => undefined) : undefined;
    if (!run) {
      write(`■ ${execution.name}: ${event.type.replace('Execution', '').toLowerCase()}`);
      return;
    }
    write(`■ run ${run.runId} ${run.status}${run.reason ? `: ${run.reason}` : ''}`);
    for (const target of await store.listTargets(run.runId).catch(() => [])) {
      const summary = target.summary ? ` — ${formatSummary(target.summary)}` : '';
      write(`    ${target.project}/${target.environment}: ${target.status}${summary}`);
    }
  };
}

function parse(text: string | undefined): StateInput | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as StateInput;
  } catch {
    return undefined;
  }
}
