import type { z } from 'zod';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function afterOf(environments: Record<string, unknown>, name: string): string | undefined {
  const after = record(environments[name])?.after;
  return typeof after === 'string' ? after : undefined;
}

/**
 * Rules between fields: `after` names a defined environment and never loops, project names are
 * unique, a project deploys only to defined environments. Runs even when other fields are invalid
 * (so every problem is listed at once); hence it reads its input defensively.
 */
export function checkReferences(config: unknown, ctx: z.RefinementCtx): void {
  const fields = record(config);
  if (!fields) return;
  const environments = record(fields.environments);
  const defined = environments ? Object.keys(environments) : [];
  const isDefined = (name: string) => environments !== undefined && Object.hasOwn(environments, name);
  const definedList = defined.length > 0 ? defined.join(', ') : 'none';

  if (environments) {
    const cycles = new Set<string>();
    for (const name of defined) {
      const after = afterOf(environments, name);
      if (after === undefined) continue;
      const path = ['environments', name, 'after'];
      if (after === name) {
        ctx.addIssue({ code: 'custom', path, message: 'an environment cannot come after itself', input: after });
        continue;
      }
      if (!isDefined(after)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `"${after}" is not a defined environment (defined: ${definedList})`,
          input: after,
        });
        continue;
      }
      // Follow the chain; coming back to `name` is a cycle, reported once at its first member.
      const chain = [name];
      let next: string | undefined = after;
      while (next !== undefined && isDefined(next) && !chain.includes(next)) {
        chain.push(next);
        next = afterOf(environments, next);
      }
      if (next === name) {
        const key = [...chain].sort().join(',');
        if (!cycles.has(key)) {
          cycles.add(key);
          ctx.addIssue({
            code: 'custom',
            path,
            message: `"after" makes a cycle: ${[...chain, name].join(' → ')}`,
            input: after,
          });
        }
      }
    }
  }

  if (!Array.isArray(fields.projects)) return;
  const firstUse = new Map<string, number>();
  fields.projects.forEach((entry, index) => {
    const project = record(entry);
    if (!project) return;
    if (typeof project.name === 'string') {
      const first = firstUse.get(project.name);
      if (first === undefined) firstUse.set(project.name, index);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['projects', index, 'name'],
          message: `duplicate project name "${project.name}" (also projects[${first}])`,
          input: project.name,
        });
      }
    }
    if (!environments || !Array.isArray(project.environments)) return;
    const seen = new Set<string>();
    project.environments.forEach((name, position) => {
      if (typeof name !== 'string') return;
      const path = ['projects', index, 'environments', position];
      if (!isDefined(name)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `"${name}" is not a defined environment (defined: ${definedList})`,
          input: name,
        });
      } else if (seen.has(name)) {
        ctx.addIssue({ code: 'custom', path, message: `"${name}" is listed twice`, input: name });
      }
      seen.add(name);
    });
  });
}
