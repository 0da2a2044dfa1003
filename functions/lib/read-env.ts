import * as z from 'zod';
import { PushgateError } from './errors.ts';

export class ConfigurationError extends PushgateError {}

/**
 * Reads a function's configuration from the environment once, at cold start, and fails with a message
 * that names every missing or malformed variable, so a misconfigured deploy says what to fix.
 */
export function readEnv<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const parsed = z.object(shape).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return parsed.data;
}
