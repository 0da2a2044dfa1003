import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunRequest } from '../run-request.ts';
import type { Status } from '../status.ts';
import type { PlanSummary, Store } from '../store/types.ts';
import type { PlannedTarget, RunSettings, TargetSpec } from '../workflow-types.ts';
import { PlanFormatError } from './errors.ts';
import { parsePlanJson } from './parse-plan-json.ts';
import { readPlanArtifacts } from './read-plan-artifacts.ts';
import { summarizePlan } from './summarize-plan.ts';

export interface SummarizeTargetInput {
  run: RunRequest;
  settings: RunSettings;
  target: TargetSpec;
}

export interface SummarizeTargetDeps {
  s3: S3Client;
  /** The artifact bucket (`ARTIFACT_BUCKET`). */
  bucket: string;
  store: Pick<Store, 'setTargetStatus'>;
  logger?: Pick<Logger, 'info'>;
}

/**
 * The `Summarize` step: hashes the plan artifact, counts its changes, records both on the target
 * (which is `running`) and tells the workflow what comes next. Only counts and output names are
 * recorded or logged, never a value from the plan.
 */
export async function summarizeTarget(input: SummarizeTargetInput, deps: SummarizeTargetDeps): Promise<PlannedTarget> {
  const { run, settings, target } = input;
  const artifacts = await readPlanArtifacts(deps.s3, deps.bucket, target.artifactPrefix);
  const summary = summarizeArtifact(target, artifacts.planJson, artifacts.planBytes);
  const { status, next } = decideNext(settings, target, summary);
  await deps.store.setTargetStatus(run.runId, target.project, target.environment, status, {
    summary,
    planSha256: artifacts.planSha256,
    planArtifactKey: artifacts.planKey,
  });
  deps.logger?.info('plan summarized', {
    runId: run.runId,
    project: target.project,
    environment: target.environment,
    status,
    next,
    planSha256: artifacts.planSha256,
    add: summary.add,
    change: summary.change,
    destroy: summary.destroy,
    replace: summary.replace,
    outputChanges: summary.outputChanges.length,
  });
  return { summary, planSha256: artifacts.planSha256, next };
}

function summarizeArtifact(target: TargetSpec, planJson: string | undefined, planBytes: number): PlanSummary {
  if (planJson === undefined) {
    // A `command` project's tool may have no plan format at all: then any plan output is a change.
    if (target.engine === 'command') {
      return { add: 0, change: 0, destroy: 0, replace: 0, outputChanges: [], hasChanges: planBytes > 0 };
    }
    throw new PlanFormatError(
      `${target.artifactPrefix}/plan.json is missing: a ${target.engine} plan build must write it`,
    );
  }
  try {
    return summarizePlan(parsePlanJson(planJson));
  } catch (error) {
    if (error instanceof PlanFormatError) {
      throw new PlanFormatError(`${target.artifactPrefix}/plan.json is not a plan: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Plan-only runs stop at `planned`; an empty plan stops at `no_changes`; approval waits; the rest applies. */
export function decideNext(
  settings: Pick<RunSettings, 'planOnly'>,
  target: Pick<TargetSpec, 'approval'>,
  summary: PlanSummary,
): { status: Status; next: PlannedTarget['next'] } {
  if (settings.planOnly) return { status: 'planned', next: 'done' };
  if (!summary.hasChanges) return { status: 'no_changes', next: 'done' };
  if (target.approval.required) return { status: 'awaiting_approval', next: 'approve' };
  return { status: 'applying', next: 'apply' };
}
