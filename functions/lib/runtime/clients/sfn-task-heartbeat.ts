import { SendTaskHeartbeatCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PushgateError } from '../../errors.ts';
import type { TaskHeartbeat } from '../../locks/heartbeat-parked.ts';
import { sfnClient } from './sfn.ts';

/** Step Functions did not take a heartbeat for a reason other than the wait being over. */
export class TaskHeartbeatError extends PushgateError {}

/**
 * The answers that mean "nobody waits on this token": its task timed out or ended (TaskTimedOut),
 * its execution ended (TaskDoesNotExist), or the token is not one Step Functions knows (InvalidToken).
 */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * The TaskHeartbeat over Step Functions: SendTaskHeartbeat with a parked run's WaitForLock token, which
 * resets that task's HeartbeatSeconds clock. Needs `states:SendTaskHeartbeat` (resource `*`: the action
 * has no resource type; the token is the capability). Without a client it uses the shared one
 * (AWS_ENDPOINT_URL_SFN locally).
 */
export function createSfnTaskHeartbeat(client: SFNClient = sfnClient()): TaskHeartbeat {
  return {
    async heartbeat(taskToken) {
      try {
        await client.send(new SendTaskHeartbeatCommand({ taskToken }));
        return { alive: true };
      } catch (error) {
        if (error instanceof Error && GONE.has(error.name)) return { alive: false, answer: error.name };
        throw new TaskHeartbeatError(
          `SendTaskHeartbeat failed: ${error instanceof Error ? error.name : 'unknown error'}`,
          { cause: error },
        );
      }
    },
  };
}
