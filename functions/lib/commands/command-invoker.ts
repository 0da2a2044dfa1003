import type { CommandRequest } from './command-request.ts';

/**
 * Hands a comment command to the commands function without waiting for it (the intake answers GitHub
 * within its 10 s). runtime/aws-fetch/lambda-command-invoker-fetch.ts is the real one (Lambda Invoke, `Event`).
 */
export interface CommandInvoker {
  invoke(request: CommandRequest): Promise<void>;
}
