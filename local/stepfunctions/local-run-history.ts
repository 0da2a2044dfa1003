import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { runHistory } from '../../functions/lib/workflow/child-executions.ts';
import type { LocalStepFunctions } from './create-local-step-functions.ts';

/**
 * A run's history from the local Step Functions, read in process: its execution's events and those of
 * the child executions it started (one per chunk of targets), by time (runHistory).
 */
export function localRunHistory(
  stepfunctions: Pick<LocalStepFunctions, 'getExecutionHistory'>,
  executionArn: string,
): Promise<HistoryEvent[]> {
  return runHistory(executionArn, (arn) => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = stepfunctions.getExecutionHistory({ executionArn: arn, maxResults: 1000, nextToken });
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  });
}
