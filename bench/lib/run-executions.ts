import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { LocalStepFunctions } from '../../local/stepfunctions/create-local-step-functions.ts';

export interface RecordedExecution {
  executionArn: string;
  /** The state machine's name: the execution's kind (the deploy machine, or one of its children's). */
  kind: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  history: HistoryEvent[];
}

type Sfn = Pick<
  LocalStepFunctions,
  'listStateMachines' | 'listExecutions' | 'getExecutionHistory' | 'waitForExecution' | 'stopExecution'
>;

/**
 * Every execution of every state machine of the local Step Functions started at or after `since`,
 * each awaited to its end and read whole: a run's main execution and any child executions it started
 * (states:startExecution.sync), whatever the machines are called. Listed again until no new one
 * appears, since a child may start while others are awaited. Past `timeoutMs` (the bench's budget
 * for one run) every execution still running is stopped and read as it stands (status RUNNING):
 * the figures so far (`stopped`), and the machine free for the next measurement.
 */
export async function executionsSince(
  sfn: Sfn,
  since: Date,
  timeoutMs: number,
): Promise<{ executions: RecordedExecution[]; stopped: boolean }> {
  const deadline = performance.now() + timeoutMs;
  const found = new Map<string, RecordedExecution>();
  let stopped = false;
  for (;;) {
    const listed = listSince(sfn, since).filter((item) => !found.has(item.executionArn));
    if (listed.length === 0) break;
    for (const item of listed) {
      const left = deadline - performance.now();
      const ended = await sfn
        .waitForExecution(item.executionArn, { timeoutMs: Math.max(1, left) })
        .catch(() => undefined);
      if (ended === undefined) {
        stopped = true;
        await stopAll(sfn, since);
      }
      const described = ended ?? (await sfn.waitForExecution(item.executionArn, { timeoutMs: 30_000 }));
      found.set(item.executionArn, {
        executionArn: item.executionArn,
        kind: item.kind,
        status: described.status ?? 'unknown',
        startDate: new Date(described.startDate!),
        ...(described.stopDate ? { stopDate: new Date(described.stopDate) } : {}),
        history: historyOf(sfn, item.executionArn),
      });
    }
  }
  const executions = [...found.values()].sort((a, b) => a.startDate.getTime() - b.startDate.getTime());
  return { executions, stopped };
}

/** Stops what is still running since `since` (AWS stops a `.sync` child with its parent; stopped here alike). */
async function stopAll(sfn: Sfn, since: Date): Promise<void> {
  const running = listSince(sfn, since).filter((item) => item.status === 'RUNNING');
  for (const item of running) sfn.stopExecution({ executionArn: item.executionArn, error: 'BenchBudget' });
  await Promise.all(
    running.map((item) => sfn.waitForExecution(item.executionArn, { timeoutMs: 30_000 }).catch(() => undefined)),
  );
}

interface Listed {
  executionArn: string;
  kind: string;
  status: string;
  startDate: Date;
}

function listSince(sfn: Sfn, since: Date): Listed[] {
  const items: Listed[] = [];
  for (const machine of sfn.listStateMachines().stateMachines ?? []) {
    let nextToken: string | undefined;
    do {
      const page = sfn.listExecutions({ stateMachineArn: machine.stateMachineArn!, maxResults: 1000, nextToken });
      for (const execution of page.executions ?? []) {
        if (new Date(execution.startDate!).getTime() >= since.getTime()) {
          items.push({
            executionArn: execution.executionArn!,
            kind: machine.name ?? 'unknown',
            status: execution.status ?? 'unknown',
            startDate: new Date(execution.startDate!),
          });
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return items;
}

function historyOf(sfn: Sfn, executionArn: string): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = sfn.getExecutionHistory({ executionArn, maxResults: 1000, nextToken });
    history.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return history;
}
