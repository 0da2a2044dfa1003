import { TargetChunk, type LoadedTargets, type TargetsInput } from '../workflow/contract.ts';
import { StepInputError } from './errors.ts';
import type { RunObjects } from './run-objects.ts';

/**
 * The LoadTargets step of a child execution: the chunk Validate stored, checked against the reference
 * it was started with (the same run, as many targets), with the concurrency its Targets Map runs at.
 * A chunk that is missing or not what Validate wrote fails the child (and so the run: Record closes
 * every target left open).
 */
export async function loadTargets(input: TargetsInput, objects: Pick<RunObjects, 'get'>): Promise<LoadedTargets> {
  const { chunk } = input;
  const text = await objects.get(chunk.key);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StepInputError(`the chunk ${chunk.key} is not JSON`, { cause: error });
  }
  const found = TargetChunk.safeParse(parsed);
  if (!found.success)
    throw new StepInputError(`the chunk ${chunk.key} is not a chunk of targets: ${found.error.message}`);
  const { run, settings, targets } = found.data;
  if (run.runId !== input.runId || targets.length !== chunk.targets)
    throw new StepInputError(
      `the chunk ${chunk.key} holds ${targets.length} targets of run ${run.runId}, not ${chunk.targets} of run ${input.runId}`,
    );
  return { run, settings, targets, chunk, concurrency: chunk.concurrency };
}
