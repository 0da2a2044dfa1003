import { randomBytes } from 'node:crypto';
import { LocalStepFunctionsError, StatesTaskError } from './errors.ts';

/** The error a Task fails with when no SendTaskHeartbeat came within HeartbeatSeconds. */
export const HEARTBEAT_TIMEOUT = 'States.HeartbeatTimeout';

interface Waiter {
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
}

/**
 * Task tokens of `.waitForTaskToken` tasks: issued when a definition reads `$$.Task.Token`, waited on
 * by the task, completed by SendTaskSuccess / SendTaskFailure. The API errors follow Step Functions:
 * an unknown token is InvalidToken, a token whose task already ended is TaskTimedOut.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
export class TaskTokens {
  private readonly issued = new Set<string>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly ended = new Set<string>();

  issue(): string {
    const token = `AQ${randomBytes(48).toString('base64url')}`;
    this.issued.add(token);
    return token;
  }

  /**
   * Waits for the token's task to be completed. Registering happens at once (before the Lambda that
   * receives the token is invoked, which may complete it before Invoke returns).
   */
  wait(token: string, options: { heartbeatSeconds?: number; signal: AbortSignal }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const end = () => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        this.waiting.delete(token);
        this.ended.add(token);
      };
      const arm = () => {
        if (options.heartbeatSeconds === undefined) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          end();
          reject(new StatesTaskError(HEARTBEAT_TIMEOUT, `no heartbeat within ${options.heartbeatSeconds} seconds`));
        }, options.heartbeatSeconds * 1000);
      };
      const onAbort = () => {
        end();
        reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('the task was cancelled'));
      };
      if (options.signal.aborted) {
        onAbort();
        return;
      }
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(token, {
        resolve: (output) => {
          end();
          resolve(output);
        },
        reject: (error) => {
          end();
          reject(error);
        },
        heartbeat: arm,
      });
      arm();
    });
  }

  succeed(token: string, output: string): void {
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch (error) {
      throw new LocalStepFunctionsError('InvalidOutput', 'the output is not valid JSON', { cause: error });
    }
    this.waiter(token).resolve(value);
  }

  fail(token: string, error?: string, cause?: string): void {
    this.waiter(token).reject(new StatesTaskError(error ?? '', cause ?? ''));
  }

  heartbeat(token: string): void {
    this.waiter(token).heartbeat();
  }

  private waiter(token: string): Waiter {
    const waiter = this.waiting.get(token);
    if (waiter) return waiter;
    if (this.ended.has(token))
      throw new LocalStepFunctionsError('TaskTimedOut', 'Task Timed Out: the task of this token has already ended');
    if (this.issued.has(token))
      throw new LocalStepFunctionsError('TaskDoesNotExist', 'no task is waiting for this token');
    throw new LocalStepFunctionsError('InvalidToken', 'Invalid Token');
  }
}
