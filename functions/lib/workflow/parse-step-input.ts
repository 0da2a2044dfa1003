import * as z from 'zod';
import { StepInputError } from '../run/errors.ts';

/**
 * A handler's input, parsed with its state's schema (workflow/contract.ts) at the boundary. An input
 * the state machine should never send fails with StepInputError naming the state and every problem.
 */
export function parseStepInput<T extends z.ZodType>(schema: T, input: unknown, state: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new StepInputError(`${state} received an input it cannot use: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
