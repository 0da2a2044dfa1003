import type { z } from 'zod';

/**
 * The first problem zod found, on one line (`resource_changes.0.change.actions: expected array`).
 * Only the path and zod's message: never the offending value, which may be a secret.
 */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid document';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
