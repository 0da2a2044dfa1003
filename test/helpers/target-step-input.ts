import type {
  ApplyBuildResult,
  CaughtError,
  PlannedTarget,
  TargetStep,
} from '../../functions/lib/workflow/contract.ts';

/**
 * One fixture shape for the tests of the per-target steps: a Targets iteration's item with the fields
 * any of AcquireLock, RenewLock, ReleaseLock or TargetFailed reads. Each step takes the part it reads.
 */
export type TargetStepInput = TargetStep & {
  waitingSince?: string;
  renew?: boolean;
  planned?: Pick<PlannedTarget, 'next' | 'planSha256'>;
  applyBuild?: Pick<ApplyBuildResult, 'buildId'>;
  error?: CaughtError;
};
