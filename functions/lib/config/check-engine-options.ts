import type { z } from 'zod';

/** Which option block each engine reads; `terraform:` serves opentofu too (same flags, same files). */
const OPTIONS_USED_BY: Record<string, readonly string[]> = {
  terraform: ['terraform', 'opentofu'],
  cloudformation: ['cloudformation'],
  command: ['command'],
};

const REQUIRED_OPTIONS: Record<string, { key: string; message: string }> = {
  cloudformation: {
    key: 'cloudformation',
    message: 'engine cloudformation needs a "cloudformation" block with at least "template"',
  },
  command: { key: 'command', message: 'engine command needs a "command" block with "plan", "apply" and "planFile"' },
};

/**
 * A project's engine decides which option block it needs and which it ignores. Runs even when other
 * fields are invalid (so every problem is listed at once); hence it reads its input defensively.
 */
export function checkEngineOptions(project: unknown, ctx: z.RefinementCtx): void {
  if (typeof project !== 'object' || project === null) return;
  const fields = project as Record<string, unknown>;
  const engine = fields.engine;
  if (typeof engine !== 'string') return;
  const required = REQUIRED_OPTIONS[engine];
  if (required && fields[required.key] === undefined) {
    ctx.addIssue({ code: 'custom', path: [required.key], message: required.message, input: undefined });
  }
  for (const [key, engines] of Object.entries(OPTIONS_USED_BY)) {
    if (fields[key] !== undefined && !engines.includes(engine)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `only used by engine ${engines.join(' or ')}; this project's engine is ${engine}`,
        input: fields[key],
      });
    }
  }
}
