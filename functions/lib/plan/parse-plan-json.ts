import { PlanFormatError } from './errors.ts';

/**
 * JSON.parse for plan text. V8's SyntaxError quotes the text around the fault, and a plan holds
 * secrets, so only the position survives into the message.
 */
export function parsePlanJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new PlanFormatError(position ? `not valid JSON (error at position ${position})` : 'not valid JSON', {
      cause: new Error('JSON syntax error (details withheld: the text may hold secrets)'),
    });
  }
}
