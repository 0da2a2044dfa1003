import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { PushgateError } from '../../functions/lib/errors.ts';
import { childExecutionArns } from '../../functions/lib/workflow/child-executions.ts';

/** The execution's history could not be read (gone, or Step Functions said no): why, for the report. */
export class ExecutionHistoryUnavailableError extends PushgateError {}

/**
 * Every history event of an execution, oldest first, without inputs and outputs beyond what the
 * timeline reads (GetExecutionHistory pages of 1000). Step Functions is reached as the SDK is
 * configured (`AWS_ENDPOINT_URL_SFN` for the local stack). An execution Step Functions no longer has
 * (the local stack keeps executions in memory only; AWS keeps a standard one's history for 90 days
 * after it ends) is ExecutionHistoryUnavailableError.
 */
export async function readExecutionHistory(executionArn: string, client?: SFNClient): Promise<HistoryEvent[]> {
  const sfn = client ?? new SFNClient({});
  try {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, nextToken }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') {
      throw new ExecutionHistoryUnavailableError(`Step Functions no longer has execution ${executionArn}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    if (!client) sfn.destroy();
  }
}

/**
 * The history of a run's execution and, one by one, of the child executions it started (one per
 * chunk of targets): `children` in the order they were started.
 */
export async function readRunHistories(
  executionArn: string,
  client?: SFNClient,
): Promise<{ events: HistoryEvent[]; children: HistoryEvent[][] }> {
  const sfn = client ?? new SFNClient({});
  try {
    const events = await readExecutionHistory(executionArn, sfn);
    const children: HistoryEvent[][] = [];
    for (const child of childExecutionArns(events)) children.push(await readExecutionHistory(child, sfn));
    return { events, children };
  } finally {
    if (!client) sfn.destroy();
  }
}
