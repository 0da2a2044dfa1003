import type { RunRequest } from './run-request.ts';
import type { PlanSummary } from './store/types.ts';

/**
 * The data that flows between the states of `state-machines/deploy.asl.yml`. The ASL only moves
 * these fields around with JSONPath; the logic is in the Lambdas.
 */

export type Engine = 'terraform' | 'opentofu' | 'cloudformation' | 'command';

/** One project × environment, as Validate emits it. */
export interface TargetSpec {
  project: string;
  environment: string;
  engine: Engine;
  /** Project directory relative to the repository root. */
  dir: string;
  /** Environments of the same project that must have succeeded earlier in this run (`after:`). */
  after: string[];
  approval: { required: boolean; approvers: string[] };
  /** Buildspecs (YAML text) generated for this target's engine; `apply` is absent for plan-only runs. */
  buildspec: { plan: string; apply?: string };
  /**
   * S3 key prefix (no trailing slash) under the artifact bucket for this target of this run:
   * `runs/<runId>/<project>/<environment>`. The plan build uploads `<prefix>/plan.bin` (the artifact
   * Apply uses, whose sha256 is recorded) and `<prefix>/plan.json` (what Summarize reads).
   */
  artifactPrefix: string;
}

export interface RunSettings {
  /** Pull requests and drift checks: no lock, never Apply. */
  planOnly: boolean;
  concurrency: 'queue' | 'supersede';
  /** Lock lease: longer than the longest plan + apply. */
  leaseSeconds: number;
  /** How long a run waits for a held lock before it gives up (`lockWaitMinutes` in pushgate.yml; default 60). */
  lockWaitMinutes?: number;
  /** Where CodeBuild clones the repository from (`SourceLocationOverride`), e.g. https://github.com/o/r.git. */
  sourceLocation: string;
  /** Sortable queue position of this run for its locks: `<receivedAt>#<runId>`. */
  queuePosition: string;
}

/** Validate's output, which becomes the state's data for the rest of the execution. */
export interface ValidatedRun {
  run: RunRequest;
  settings: RunSettings;
  /**
   * Targets in waves: every target of wave N runs (in parallel) before any of wave N+1, which is
   * how `after:` ordering (staging before prod) is kept. Empty when the run has nothing to do.
   */
  waves: TargetSpec[][];
  targetCount: number;
  /** Set when the run ends here (nothing changed, no environment for the branch, …). */
  skipped?: string;
}

/** Summarize's output (ResultPath `$.planned`). */
export interface PlannedTarget {
  summary: PlanSummary;
  planSha256: string;
  /** What the workflow does next for this target. */
  next: 'apply' | 'approve' | 'done';
}

/** Error names the workflow matches in Retry / Catch (`ErrorEquals`). Keep them stable. */
export const WorkflowErrors = {
  LockHeld: 'LockHeldError',
  Superseded: 'SupersededError',
  DependencyFailed: 'DependencyFailedError',
  InvalidConfig: 'InvalidConfigError',
  PlanIntegrity: 'PlanIntegrityError',
} as const;
