import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { PLAN_EXPORTS } from '../engines/plan-exports.ts';
import { PlanFormatError, PlanIntegrityError } from '../plan/errors.ts';
import { parsePlanJson } from '../plan/parse-plan-json.ts';
import { readPlanArtifacts, type UploadedShas } from '../plan/read-plan-artifacts.ts';
import { PLAN_TEXT } from '../engines/plan-exports.ts';
import { summarizePlan } from '../plan/summarize-plan.ts';
import type { Status } from '../status.ts';
import { InvalidTransitionError } from '../store/errors.ts';
import type { DeploymentStore, TargetRecord, TargetStore } from '../store/types.ts';
import type {
  ExportedVariable,
  PlannedTarget,
  PlanSummary,
  RunSettings,
  SummarizeInput,
  TargetSpec,
} from '../workflow/contract.ts';

export interface SummarizeDeps {
  s3: S3Client;
  /** The artifact bucket (`ARTIFACT_BUCKET`). */
  bucket: string;
  store: TargetStore & Pick<DeploymentStore, 'recordDriftCheck'>;
  logger?: Pick<Logger, 'info'>;
}

/**
 * The `Summarize` step: hashes the plan artifact, counts its changes, records both on the target
 * (which is `running`) and tells the workflow what comes next. Only counts and output names are
 * recorded or logged, never a value from the plan. When the plan build exported the sha256 of what
 * it uploaded, an artifact that differs fails with PlanIntegrityError before anything is recorded;
 * a build from an older buildspec exported nothing, and its artifacts are taken as they are.
 */
export async function summarize(input: SummarizeInput, deps: SummarizeDeps): Promise<PlannedTarget> {
  const { run, settings, target, planBuild } = input;
  const uploaded = uploadedShas(target, planBuild?.exported);
  const artifacts = await readPlanArtifacts(deps.s3, deps.bucket, target.artifactPrefix, uploaded);
  const summary = summarizeArtifact(target, artifacts.planJson, artifacts.planBytes);
  const drift = run.kind === 'drift' ? await recordDrift(input, summary, deps.store) : undefined;
  const { status, next } = drift?.moot
    ? { status: 'superseded' as const, next: 'done' as const }
    : decideNext(settings, target, summary);
  try {
    await deps.store.setTargetStatus(run.runId, target.project, target.environment, status, {
      ...drift?.fields,
      summary,
      planSha256: artifacts.planSha256,
      planArtifactKey: artifacts.planKey,
      ...textShas(planBuild?.exported, uploaded),
      ...(planBuild ? { planBuildId: planBuild.buildId } : {}),
    });
  } catch (error) {
    // The workflow retries Summarize when Lambda itself fails, possibly after this write landed: the
    // same plan recorded already is success, not a refused `applying → applying`.
    if (!(error instanceof InvalidTransitionError)) throw error;
    const recorded = await deps.store.getTarget(run.runId, target.project, target.environment);
    if (recorded?.status !== status || recorded.planSha256 !== artifacts.planSha256) throw error;
  }
  deps.logger?.info('plan summarized', {
    runId: run.runId,
    project: target.project,
    environment: target.environment,
    status,
    next,
    planSha256: artifacts.planSha256,
    planVersionId: artifacts.planVersionId,
    verified: uploaded !== undefined,
    add: summary.add,
    change: summary.change,
    destroy: summary.destroy,
    replace: summary.replace,
    outputChanges: summary.outputChanges.length,
    ...(drift ? { drifted: summary.hasChanges, driftAlert: drift.fields.driftAlert === true, moot: drift.moot } : {}),
  });
  return { summary, planSha256: artifacts.planSha256, next };
}

/**
 * A drift check's target: the plan's verdict goes on the "deployed now" item (recordDriftCheck), and
 * on the target whether it drifted and whether this is the check that alerts (newly drifted). A
 * check whose commit no longer runs there (a deploy moved it on) is moot: `superseded`, never applied.
 */
async function recordDrift(
  { run, target }: SummarizeInput,
  summary: PlanSummary,
  store: Pick<DeploymentStore, 'recordDriftCheck'>,
): Promise<{ moot: boolean; fields: Pick<TargetRecord, 'drifted' | 'driftAlert' | 'driftSince' | 'reason'> }> {
  const drifted = summary.hasChanges;
  const result = await store.recordDriftCheck(
    { repo: run.repo, environment: target.environment, project: target.project },
    // The run's time, not this attempt's: a retried Summarize is the same check.
    { sha: run.sha, runId: run.runId, drifted, summary, checkedAt: new Date(run.receivedAt) },
  );
  if (!result.recorded) {
    return {
      moot: true,
      fields: {
        drifted,
        reason: `${target.project}/${target.environment} no longer runs ${run.sha.slice(0, 7)} (deployed since this check began): the check is moot`,
      },
    };
  }
  return {
    moot: false,
    fields: {
      drifted,
      ...(result.newDrift ? { driftAlert: true } : {}),
      ...(drifted && result.since !== undefined ? { driftSince: result.since } : {}),
    },
  };
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * The sha256 of the informational artifacts as the build uploaded them (plan.txt, plan.json): the
 * pull request's comment shows a plan text only when its bytes hash to this, so nobody who got hold
 * of the upload URL can put other text in front of an approver.
 */
function textShas(
  exported: ExportedVariable[] | undefined,
  uploaded: UploadedShas | undefined,
): { planTextSha256?: string; planJsonSha256?: string } {
  const text = (exported ?? []).find(({ Name }) => Name === PLAN_TEXT.exportVariable)?.Value ?? '';
  return {
    ...(/^[0-9a-f]{64}$/.test(text) ? { planTextSha256: text } : {}),
    ...(uploaded?.planJsonSha256 ? { planJsonSha256: uploaded.planJsonSha256 } : {}),
  };
}

/** What the plan build says it uploaded; undefined when it exported no PUSHGATE_PLAN_SHA256 at all. */
function uploadedShas(target: TargetSpec, exported: ExportedVariable[] | undefined): UploadedShas | undefined {
  const values = new Map((exported ?? []).map(({ Name, Value }) => [Name, Value ?? '']));
  const planSha256 = values.get(PLAN_EXPORTS['plan.bin']);
  if (planSha256 === undefined) return undefined;
  const planJsonSha256 = values.get(PLAN_EXPORTS['plan.json']);
  for (const [file, value] of [
    ['plan.bin', planSha256],
    ['plan.json', planJsonSha256],
  ] as const) {
    // Declared but empty or malformed: the build did not finish its uploads as generated.
    if (value !== undefined && !SHA256_HEX.test(value))
      throw new PlanIntegrityError(
        `${target.artifactPrefix}/${file} cannot be verified: its plan build exported no sha256 for it (${value === '' ? 'an empty value' : 'a malformed value'})`,
      );
  }
  return { planSha256, ...(planJsonSha256 === undefined ? {} : { planJsonSha256 }) };
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
