import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// Every CodeBuild task (Plan, Apply) waits and tries again when CodeBuild refuses to start its build:
// a full build queue (CodeBuild.AccountLimitExceededException) or throttling (an error CodeBuild does
// not model, CodeBuild.AWSCodeBuildException), instead of failing the target (issue 12). No build
// exists then, so starting it again is safe; a build that ran and failed (States.TaskFailed) must never
// be started again by a Retry: an apply would run twice.

const dir = fileURLToPath(new URL('../../../state-machines/', import.meta.url));
// The state machines, and the steps of a target they share (an ItemProcessor, included with ${file()}).
const files = readdirSync(dir).filter((file) => file.endsWith('.asl.yml') || file === 'target-steps.yml');

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}
interface State {
  Type: string;
  Resource?: unknown;
  Retry?: Retrier[];
  States?: Record<string, State>;
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
  Branches?: Array<{ States: Record<string, State> }>;
}

/** Every state of a definition, nested ones (Map, Parallel) included, by `file: path`. */
function allStates(states: Record<string, State>, prefix: string): Array<[string, State]> {
  return Object.entries(states).flatMap(([name, state]): Array<[string, State]> => {
    const path = `${prefix}/${name}`;
    const nested = [
      state.ItemProcessor?.States,
      state.Iterator?.States,
      ...(state.Branches ?? []).map((branch) => branch.States),
    ].filter((value): value is Record<string, State> => value !== undefined);
    return [[path, state], ...nested.flatMap((inner) => allStates(inner, path))];
  });
}

const codeBuildTasks = files.flatMap((file) => {
  const definition = parse(readFileSync(`${dir}${file}`, 'utf8')) as { States: Record<string, State> };
  return allStates(definition.States, file).filter(
    ([, state]) =>
      state.Type === 'Task' &&
      typeof state.Resource === 'string' &&
      /^arn:aws:states:::codebuild:startBuild/.test(state.Resource),
  );
});

const REFUSED = 'CodeBuild.AccountLimitExceededException';
const THROTTLED = 'CodeBuild.AWSCodeBuildException';

/** The longest a retrier waits in all before it gives up, without jitter (seconds). */
function retryBudgetSeconds(retrier: Retrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const rate = retrier.BackoffRate ?? 2;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt += 1)
    total += Math.min(interval * rate ** attempt, cap);
  return total;
}

const retrierFor = (state: State, error: string) =>
  (state.Retry ?? []).find((retrier) => retrier.ErrorEquals.includes(error));

describe('CodeBuild tasks of the state machines', () => {
  it('include the Plan and the Apply build', () => {
    const names = codeBuildTasks.map(([path]) => path.split('/').at(-1));
    expect(names).toContain('Plan');
    expect(names).toContain('Apply');
  });

  describe.each(codeBuildTasks.map(([path, state]) => ({ path, state })))('$path', ({ state }) => {
    it('retries a full CodeBuild queue for long enough that it drains (at least 30 minutes in all)', () => {
      const retrier = retrierFor(state, REFUSED);
      expect(retrier, `a Retry entry for ${REFUSED}`).toBeDefined();
      expect(retryBudgetSeconds(retrier!)).toBeGreaterThanOrEqual(30 * 60);
      // Spread out, not every waiting target at the same second; and never an interval above 10 minutes.
      expect(retrier!.JitterStrategy).toBe('FULL');
      expect(retrier!.MaxDelaySeconds ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(600);
    });

    it('retries CodeBuild throttling with backoff', () => {
      const retrier = retrierFor(state, THROTTLED);
      expect(retrier, `a Retry entry for ${THROTTLED}`).toBeDefined();
      expect(retrier!.MaxAttempts ?? 3).toBeGreaterThanOrEqual(3);
      expect(retrier!.BackoffRate ?? 2).toBeGreaterThan(1);
    });

    it('never retries a build that ran: no Retry matches States.TaskFailed or States.ALL', () => {
      for (const retrier of state.Retry ?? []) {
        expect(retrier.ErrorEquals).not.toContain('States.TaskFailed');
        expect(retrier.ErrorEquals).not.toContain('States.ALL');
        expect(retrier.ErrorEquals).not.toContain('States.Timeout');
      }
    });
  });
});
