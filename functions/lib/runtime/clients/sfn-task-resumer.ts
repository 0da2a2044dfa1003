import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskResumer, TaskResumeResult } from '../../approval/types.ts';
import { PushgateError } from '../../errors.ts';
import { sfnClient } from './sfn.ts';

/** Step Functions did not take a resume for a reason other than the wait being over. */
export class TaskResumeError extends PushgateError {}

/** The answers that mean "this wait is over": timed out, or its execution ended (stopped, failed). */
const EXPIRED = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

/**
 * The TaskResumer over Step Functions: SendTaskSuccess and SendTaskFailure with the token of a target
 * waiting in WaitForApproval. Needs `states:SendTaskSuccess` and `states:SendTaskFailure` on the
 * deploy state machine. Without a client it uses the shared one (AWS_ENDPOINT_URL_SFN locally).
 */
export function createSfnTaskResumer(client: SFNClient = sfnClient()): TaskResumer {
  async function send(operation: string, call: () => Promise<unknown>): Promise<TaskResumeResult> {
    try {
      await call();
      return { resumed: true };
    } catch (error) {
      if (error instanceof Error && EXPIRED.has(error.name)) return { resumed: false, expired: true };
      throw new TaskResumeError(`${operation} failed: ${error instanceof Error ? error.name : 'unknown error'}`, {
        cause: error,
      });
    }
  }
  return {
    succeed: (taskToken, output) =>
      send('SendTaskSuccess', () =>
        client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      ),
    // Step Functions limits error to 256 and cause to 32,768 characters.
    fail: (taskToken, error, cause) =>
      send('SendTaskFailure', () =>
        client.send(
          new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }),
        ),
      ),
  };
}
