import * as z from 'zod';
import { EnvironmentName, ProjectName } from '../config/config-schema.ts';
import { RepoName } from '../workflow/contract.ts';

/**
 * What the drift function is invoked with: `{ source: 'schedule' }` is EventBridge Scheduler's Input
 * (serverless.yml) and `pushgate dev`'s tick, which start only the checks that are due;
 * `{ source: 'cli', … }` is `pushgate drift`, which checks now (narrowed to a repository, environment
 * or project). Nothing here decides what a check runs: that is the deployed commit and the default
 * branch's pushgate.yml. `actor` is only shown (the CLI caller's AWS identity, as STS named it).
 */
export const DriftInvocation = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('schedule') }),
  z.strictObject({
    source: z.literal('cli'),
    repo: RepoName.optional(),
    environment: EnvironmentName.optional(),
    project: ProjectName.optional(),
    actor: z.string().min(1).max(200).optional(),
  }),
]);
export type DriftInvocation = z.infer<typeof DriftInvocation>;

/** One drift run the function started: one repository, environment and commit. */
export interface StartedDriftCheck {
  runId: string;
  repo: string;
  environment: string;
  sha: string;
  projects: string[];
  executionArn: string;
}

/** A repository + environment the function did not check this time, and why. */
export interface SkippedDriftCheck {
  repo: string;
  environment: string;
  reason: string;
  /** A run of it was recorded but its execution did not start (the run is marked failed): not merely skipped. */
  failed?: true;
}

/** The drift function's answer (Lambda RequestResponse for `pushgate drift`; logged for the schedule). */
export interface DriftCheckResult {
  started: StartedDriftCheck[];
  skipped: SkippedDriftCheck[];
}
