import * as z from 'zod';
import { TargetCompute } from '../engines/build-compute.ts';
import { Engine } from '../engines/engine.ts';
import { STATUSES } from '../status.ts';

/**
 * The contract between the states of `state-machines/deploy.asl.yml` and of its child executions,
 * `state-machines/targets.asl.yml`: every value a state hands the
 * next one, as a zod schema, with its type inferred from it. The ASL only moves these fields around
 * with JSONPath; the logic is in the Lambdas, and each handler parses its input with its state's
 * schema here (parseStepInput). One definition per shape: zod drops keys a schema does not name, so
 * a field that is produced but not declared here would vanish at the next state (the contract test,
 * test/integration/workflow/contract.test.ts, replays runs and fails on any such field).
 *
 *   execution input   RunRequest
 *   Validate          RunRequest → StagedRun (the data of the rest of the execution); buildspecs are
 *                     stored in S3, and so are the targets of a run larger than one small wave (TargetChunks)
 *   Route (Choice)    `targets` present: Targets (Map) here, item TargetStep; none: Record; else Waves
 *   Waves (Map)       item { runId, wave }                                    WaveItem
 *   Chunks (Map)      item { runId, chunk }                                   ChunkItem
 *   RunTargets        a child execution of targets.asl.yml, input            TargetsInput
 *   (child) LoadTargets  TargetsInput → LoadedTargets
 *   (child) Targets (Map) item { run, settings, target }                     TargetStep
 *     AcquireLock     AcquireLockInput → LockResult at $.lock (`waiting`: LockTaken sends it to WaitForLock)
 *     WaitForLock     WaitForLockInput (Lambda → WaitForLockOutput); resumed by the handoff, then AcquireLock again
 *     Plan            CodeBuild → PlanBuildResult at $.planBuild
 *     Summarize       SummarizeInput → PlannedTarget at $.planned
 *     WaitForApproval RequestApprovalInput (Lambda → RequestApprovalOutput); SendTaskSuccess output at $.approval
 *     PrepareApply    PrepareApplyInput → PreparedApply at $.prepared (before every Apply)
 *     Apply           CodeBuild → ApplyBuildResult at $.applyBuild
 *     ReleaseLock     ReleaseLockInput (the whole TargetState) → ReleaseLockOutput
 *     TargetFailed    TargetFailedInput (TargetState + error) → TargetFailedOutput
 *   Record            RecordInput → RunOutcome at $.outcome (RecordFailure: the same, with the error)
 *   Notify            NotifyInput → NotifyOutput
 *   Outcome           Failed (ErrorPath $.outcome.error, CausePath $.outcome.cause) when the outcome has an error
 */

// --- The execution input ---------------------------------------------------------------------------

/** `owner/name`, as GitHub spells `repository.full_name`. */
export const RepoName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name');

export const RunKind = z.enum(['push', 'plan', 'comment', 'drift', 'rollback']);
export type RunKind = z.infer<typeof RunKind>;

/**
 * The execution input: a normalised run request, never the raw webhook payload (Step Functions
 * takes at most 256 KB of input). Built by the webhook intake, read by Validate and every later step.
 */
export const RunRequest = z.object({
  runId: z.string().min(1),
  deliveryId: z.string().min(1),
  kind: RunKind,
  repo: RepoName,
  /** Full ref, e.g. `refs/heads/main`; for a pull request, the head ref. */
  ref: z.string(),
  /** The branch the run is about: the pushed branch, or a pull request's base branch. */
  branch: z.string(),
  /**
   * The repository's default branch (the webhook's `repository.default_branch`): its pushgate.yml is
   * the reviewed one that decides what a push to any other branch deploys. Absent: looked up.
   */
  defaultBranch: z.string().optional(),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  /** The commit before the push; absent (or all zeros) on a first push: then every project counts as changed. */
  before: z.string().optional(),
  /** Who caused the run: the pusher, the pull request author or the commenter. */
  actor: z.string(),
  commitMessage: z.string().max(4096).optional(),
  pullRequest: z
    .object({
      number: z.number().int().positive(),
      baseRef: z.string(),
      baseSha: z.string().optional(),
      headRef: z.string(),
      /** A fork's pull request never gets credentials: plan-only, no secrets. */
      fromFork: z.boolean(),
    })
    .optional(),
  comment: z
    .object({
      id: z.number().int(),
      /** `plan`, `apply`, `approve`, … the word after `/pushgate `. */
      command: z.string(),
      args: z.array(z.string()),
      author: z.string(),
      authorAssociation: z.string().optional(),
    })
    .optional(),
  /**
   * A rollback run (`pushgate rollback`, started by the rollback function): the one environment and
   * the projects it restores to `sha`, which must each be a recorded successful deployment there
   * (Validate and PrepareApply check it again). Which config and policy apply is not the caller's say.
   */
  rollback: z
    .object({
      environment: z.string().min(1),
      projects: z.array(z.string().min(1)).min(1),
    })
    .optional(),
  /**
   * A drift check (kind `drift`, started by the drift function): the one environment and the projects
   * it plans at `sha`, the commit each of them runs now (Validate and PrepareApply check it again).
   * Which config applies and whether it may remediate is the default branch's pushgate.yml's say.
   */
  drift: z
    .object({
      environment: z.string().min(1),
      projects: z.array(z.string().min(1)).min(1),
    })
    .optional(),
  receivedAt: z.string(),
});
export type RunRequest = z.infer<typeof RunRequest>;

// --- Validate's output -----------------------------------------------------------------------------

export const RunSettings = z.object({
  /** Pull requests and drift checks: no lock, never Apply. */
  planOnly: z.boolean(),
  concurrency: z.enum(['queue', 'supersede']),
  /** Lock lease: longer than the longest plan + apply. */
  leaseSeconds: z.number().int().positive(),
  /** How long a run waits for a held lock before it gives up (`lockWaitMinutes` in pushgate.yml; default 60). */
  lockWaitMinutes: z.number().positive().optional(),
  /** Where CodeBuild clones the repository from (`SourceLocationOverride`), e.g. https://github.com/o/r.git. */
  sourceLocation: z.string(),
  /** Sortable queue position of this run for its locks: `<receivedAt>#<runId>`. */
  queuePosition: z.string(),
  /** The most builds of this run at once (the Targets Map's MaxConcurrencyPath): pushgate.yml's `parallelism`, capped by the policy's `maxParallelBuilds`. */
  parallelism: z.number().int().positive(),
});
export type RunSettings = z.infer<typeof RunSettings>;

/** One project × environment, as Validate emits it. */
export const TargetSpec = z.object({
  project: z.string(),
  environment: z.string(),
  engine: Engine,
  /** Project directory relative to the repository root. */
  dir: z.string(),
  /** Environments of the same project that must have succeeded earlier in this run (`after:`). */
  after: z.array(z.string()),
  approval: z.object({
    required: z.boolean(),
    approvers: z.array(z.string()),
    /** WaitForApproval's TimeoutSecondsPath: past it the target ends `expired` and its lock is released. */
    timeoutSeconds: z.number().int().positive(),
    /** Whether the run's actor (the pusher) may approve their own change. */
    allowSelfApproval: z.boolean(),
  }),
  /** Buildspecs (YAML text) generated for this target's engine; `apply` is absent for plan-only runs. */
  buildspec: z.object({ plan: z.string(), apply: z.string().optional() }),
  /**
   * S3 key prefix (no trailing slash) under the artifact bucket for this target of this run:
   * `runs/<runId>/<project>/<environment>`. The plan build uploads `<prefix>/plan.bin` (the artifact
   * Apply uses, whose sha256 is recorded) and `<prefix>/plan.json` (what Summarize reads).
   */
  artifactPrefix: z.string(),
  /**
   * sha256 of what defines this target's deployment (project and engine options, the environment's
   * variables, its roles), recorded with the deployment so that a config change re-plans it.
   */
  definition: z.string(),
  /** The roles the plan and apply builds assume (platform policy); empty: the stack's own plan role. */
  roles: z.object({ plan: z.string(), apply: z.string() }),
  /**
   * Where the plan and the apply build run (`compute:` in pushgate.yml, else the engine's default):
   * the Plan and Apply states pass it as EnvironmentTypeOverride / ComputeTypeOverride / ImageOverride.
   */
  compute: TargetCompute,
  /** Set when this commit is older than the one the environment runs: a rollback by git. */
  rollbackOf: z.string().optional(),
});
export type TargetSpec = z.infer<typeof TargetSpec>;

/** Validate's output, which becomes the state's data for the rest of the execution. */
export const ValidatedRun = z.object({
  run: RunRequest,
  settings: RunSettings,
  /**
   * Targets in waves: every target of wave N runs (in parallel) before any of wave N+1, which is
   * how `after:` ordering (staging before prod) is kept. Empty when the run has nothing to do.
   */
  waves: z.array(z.array(TargetSpec)),
  targetCount: z.number().int().nonnegative(),
  /** Set when the run ends here (nothing changed, no environment for the branch, …). */
  skipped: z.string().optional(),
});
export type ValidatedRun = z.infer<typeof ValidatedRun>;

// --- Validate's state output: references, not targets ----------------------------------------------

/**
 * One chunk of a wave: at most CHUNK_TARGETS targets, stored by Validate as a TargetChunk at
 * `key` in the artifact bucket and run as one child execution (state-machines/targets.asl.yml) named `name`.
 */
export const ChunkRef = z.object({
  /** `runs/<runId>/chunks/w<wave>-c<index>.json`. */
  key: z.string().min(1),
  /** The child execution's name, `<runId>-w<wave>-c<index>`: a retried start finds the same execution. */
  name: z.string().min(1).max(80),
  wave: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  /** How many targets the chunk holds. */
  targets: z.number().int().positive(),
  /** The child's Targets Map MaxConcurrencyPath: how many of its targets plan or apply at once. */
  concurrency: z.number().int().positive(),
});
export type ChunkRef = z.infer<typeof ChunkRef>;

/** One wave, as the Waves Map sees it: its chunks, and how many run at once (the Chunks Map's MaxConcurrencyPath). */
export const WaveRef = z.object({
  chunks: z.array(ChunkRef).min(1),
  concurrency: z.number().int().positive(),
});
export type WaveRef = z.infer<typeof WaveRef>;

/**
 * What the Validate state outputs: the ValidatedRun without its targets, which Validate stored in S3
 * (chunks of targets, each target's buildspecs an S3 object of its own). Whatever the repository's
 * size, this stays a few KiB: about 200 bytes per chunk of up to 50 targets.
 */
export const StagedRun = z.object({
  run: RunRequest,
  settings: RunSettings,
  /**
   * A run of one wave of at most CHUNK_TARGETS targets (and INLINE_BYTES): its targets, run by the
   * deploy state machine's own Targets Map (no child execution, no extra transitions). `waves` is then empty.
   */
  targets: z.array(TargetSpec).optional(),
  waves: z.array(WaveRef),
  targetCount: z.number().int().nonnegative(),
  skipped: z.string().optional(),
});
export type StagedRun = z.infer<typeof StagedRun>;

/** What Validate stores per chunk, and LoadTargets returns (plus the chunk's reference and concurrency). */
export const TargetChunk = z.object({ run: RunRequest, settings: RunSettings, targets: z.array(TargetSpec).min(1) });
export type TargetChunk = z.infer<typeof TargetChunk>;

/** The input of a child execution of the targets state machine (RunTargets' Input). */
export const TargetsInput = z.object({
  runId: z.string().min(1),
  chunk: ChunkRef,
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.string().optional(),
});
export type TargetsInput = z.infer<typeof TargetsInput>;

/** LoadTargets' output: the chunk's targets and what every target step reads with them. */
export const LoadedTargets = TargetChunk.extend({ chunk: ChunkRef, concurrency: z.number().int().positive() });
export type LoadedTargets = z.infer<typeof LoadedTargets>;

// --- The Maps ----------------------------------------------------------------------------------

/** An item of the Waves Map (its ItemSelector): the input of the inner Chunks Map. */
export const WaveItem = z.object({ runId: z.string().min(1), wave: WaveRef });
export type WaveItem = z.infer<typeof WaveItem>;

/** An item of the Chunks Map (its ItemSelector): RunTargets starts the chunk's child execution from it. */
export const ChunkItem = z.object({ runId: z.string().min(1), chunk: ChunkRef });
export type ChunkItem = z.infer<typeof ChunkItem>;

/** An item of the Targets Map (its ItemSelector): what every per-target step reads first. */
export const TargetStep = z.object({ run: RunRequest, settings: RunSettings, target: TargetSpec });
export type TargetStep = z.infer<typeof TargetStep>;

// --- Per target ------------------------------------------------------------------------------------

/** AcquireLock's Parameters. */
export const AcquireLockInput = TargetStep.extend({
  /** `$$.State.EnteredTime` of AcquireLock: fixed across retries, so it tells how long we have waited. */
  waitingSince: z.string().optional(),
});
export type AcquireLockInput = z.infer<typeof AcquireLockInput>;

/** What AcquireLock returns (ResultPath `$.lock`). */
export const LockResult = z.object({
  /** False for plan-only runs, which take no lock. */
  locked: z.boolean(),
  owner: z.string().optional(),
  leaseExpiresAt: z.string().optional(),
  /** The run whose expired lease this run took over. */
  tookOverFrom: z.string().optional(),
  /**
   * Someone holds the lock or is ahead in the queue: the LockTaken Choice parks this target in
   * WaitForLock until the lock is handed over to it. Absent once the lock is taken.
   */
  waiting: z.boolean().optional(),
  /** WaitForLock's TimeoutSecondsPath: what is left of `lockWaitMinutes` since this run first asked. */
  waitSeconds: z.number().int().positive().optional(),
  /** Who holds it and how many are ahead, in words (TargetFailed's reason when the wait times out). */
  heldBy: z.string().optional(),
  /** When this run first asked for the lock. */
  waitingSince: z.string().optional(),
  /**
   * Presigned PUT URLs of this target's plan artifacts, for the Plan build: builds have no access to
   * the artifact bucket, so one build can neither read nor overwrite another run's plans.
   */
  upload: z
    .object({
      planBin: z.string(),
      planJson: z.string(),
      /** The plan as its tool prints it, for the pull request's comment (informational). */
      planTxt: z.string().optional(),
    })
    .optional(),
});
export type LockResult = z.infer<typeof LockResult>;

/** WaitForLock's Payload (lambda:invoke.waitForTaskToken): the waiting result and the token to park. */
export const WaitForLockInput = TargetStep.extend({ lock: LockResult, taskToken: z.string().min(1) });
export type WaitForLockInput = z.infer<typeof WaitForLockInput>;

/** The WaitForLock Lambda's own result; the state's output (discarded) is what the handoff sends. */
export const WaitForLockOutput = z.object({ parked: z.boolean(), handedTo: z.string().optional() });
export type WaitForLockOutput = z.infer<typeof WaitForLockOutput>;

/** One of CodeBuild's ExportedEnvironmentVariables, in the PascalCase of Step Functions' `.sync` result. */
export const ExportedVariable = z.object({ Name: z.string().optional(), Value: z.string().optional() });
export type ExportedVariable = z.infer<typeof ExportedVariable>;

/** The Plan state's ResultSelector (ResultPath `$.planBuild`). */
export const PlanBuildResult = z.object({
  buildId: z.string(),
  status: z.string(),
  /** The sha256 of what the build uploaded (PUSHGATE_PLAN_SHA256, …): Summarize refuses an artifact that differs. */
  exported: z.array(ExportedVariable).optional(),
});
export type PlanBuildResult = z.infer<typeof PlanBuildResult>;

/** Summarize's Parameters. */
export const SummarizeInput = TargetStep.extend({ planBuild: PlanBuildResult.optional() });
export type SummarizeInput = z.infer<typeof SummarizeInput>;

/** What a plan does, in counts, copied to the target record. Never holds a sensitive value. */
export const PlanSummary = z.object({
  add: z.number().int().nonnegative(),
  change: z.number().int().nonnegative(),
  destroy: z.number().int().nonnegative(),
  replace: z.number().int().nonnegative(),
  /** Existing objects brought under management (`import` blocks); set only when > 0. */
  import: z.number().int().nonnegative().optional(),
  /** Objects dropped from state without being destroyed (`removed` with `destroy = false`); set only when > 0. */
  forget: z.number().int().nonnegative().optional(),
  /** Names of root outputs that change; values are never copied. */
  outputChanges: z.array(z.string()),
  hasChanges: z.boolean(),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

/** Summarize's output (ResultPath `$.planned`). */
export const PlannedTarget = z.object({
  summary: PlanSummary,
  planSha256: z.string(),
  /** What the workflow does next for this target (the AfterPlan Choice). */
  next: z.enum(['apply', 'approve', 'done']),
});
export type PlannedTarget = z.infer<typeof PlannedTarget>;

/** WaitForApproval's Payload (lambda:invoke.waitForTaskToken). */
export const RequestApprovalInput = TargetStep.extend({ planned: PlannedTarget, taskToken: z.string().min(1) });
export type RequestApprovalInput = z.infer<typeof RequestApprovalInput>;

/** The RequestApproval Lambda's own result; the state's output is what the approval sends instead. */
export const RequestApprovalOutput = z.object({ waiting: z.literal(true) });
export type RequestApprovalOutput = z.infer<typeof RequestApprovalOutput>;

/** The output SendTaskSuccess resumes WaitForApproval with (ResultPath `$.approval`); no step reads it yet. */
export const ApprovalResult = z.json();

/** PrepareApply's Parameters: the target and its reviewed plan, right before Apply. */
export const PrepareApplyInput = TargetStep.extend({ planned: PlannedTarget });
export type PrepareApplyInput = z.infer<typeof PrepareApplyInput>;

/** PrepareApply's output (ResultPath `$.prepared`), which the Apply build reads. */
export const PreparedApply = z.object({
  /** Presigned GET URL of the reviewed plan.bin (the Apply build verifies its sha256). */
  planUrl: z.string(),
  /** The renewed lease: it covers the longest apply the build project allows. */
  leaseExpiresAt: z.string(),
});
export type PreparedApply = z.infer<typeof PreparedApply>;

/** The Apply state's ResultSelector (ResultPath `$.applyBuild`). */
export const ApplyBuildResult = z.object({ buildId: z.string(), status: z.string() });
export type ApplyBuildResult = z.infer<typeof ApplyBuildResult>;

/** A Targets iteration's data as it grows, state by state: what ReleaseLock and TargetFailed receive whole. */
export const TargetState = TargetStep.extend({
  lock: LockResult.optional(),
  planBuild: PlanBuildResult.optional(),
  planned: PlannedTarget.optional(),
  approval: ApprovalResult.optional(),
  prepared: PreparedApply.optional(),
  applyBuild: ApplyBuildResult.optional(),
});
export type TargetState = z.infer<typeof TargetState>;

const Status = z.enum(STATUSES);

/** ReleaseLock's input: it has no Parameters, so it reads the iteration's data as it is. */
export const ReleaseLockInput = TargetState;
export type ReleaseLockInput = z.infer<typeof ReleaseLockInput>;

/** ReleaseLock's output, which ends the iteration (OutputPath `$.finished`). */
export const ReleaseLockOutput = z.object({ status: Status, released: z.boolean() });
export type ReleaseLockOutput = z.infer<typeof ReleaseLockOutput>;

/** `{ Error, Cause }` as Step Functions' Catch puts it at ResultPath (`$.error`). */
export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof CaughtError>;

/** TargetFailed's input: the iteration's data where a Catch left it, with what was caught. */
export const TargetFailedInput = TargetState.extend({ error: CaughtError.optional() });
export type TargetFailedInput = z.infer<typeof TargetFailedInput>;

/** TargetFailed's output, which ends the iteration normally. */
export const TargetFailedOutput = z.object({ status: Status, reason: z.string() });
export type TargetFailedOutput = z.infer<typeof TargetFailedOutput>;

// --- The end of a run ------------------------------------------------------------------------------

/** Record's and RecordFailure's Parameters. */
export const RecordInput = z.object({
  runId: z.string(),
  executionArn: z.string().optional(),
  /** Present when the run ended through a Catch outside any target (Validate, the Map itself). */
  error: CaughtError.optional(),
});
export type RecordInput = z.infer<typeof RecordInput>;

/**
 * How a run ended, as Record returns it (ResultPath `$.outcome`) and Notify receives it: what a
 * person needs to read in Slack or on a pull request, and nothing secret.
 */
export const RunOutcome = z.object({
  runId: z.string().min(1),
  repo: z.string(),
  kind: RunKind,
  branch: z.string(),
  sha: z.string(),
  actor: z.string(),
  status: Status,
  reason: z.string().optional(),
  executionArn: z.string().optional(),
  consoleUrl: z.string().optional(),
  /** Set when the repository's pushgate.yml asks for skipped runs in Slack (`notify.skipped`); else Notify stays quiet about them. */
  announceSkipped: z.boolean().optional(),
  /**
   * Only for a run that ends the execution Failed (failed, cancelled): the Fail state's Error, a short
   * code (`TargetFailed`, `ValidationFailed`, …; run/execution-failure.ts), and its Cause, the run's
   * reason in words (at most 1,000 characters). The Outcome state fails the execution when `error` is there.
   */
  error: z.string().min(1).max(256).optional(),
  cause: z.string().max(32_768).optional(),
  targets: z.array(
    z.object({
      project: z.string(),
      environment: z.string(),
      status: Status,
      summary: PlanSummary.optional(),
      reason: z.string().optional(),
      /** A drift check's target: whether its plan found drift. */
      drifted: z.boolean().optional(),
      /** A drift check's target that newly drifted (was not drifted before): the one check that alerts. */
      driftAlert: z.boolean().optional(),
      /** When the drift was first seen (a drifted target of a drift check). */
      driftSince: z.string().optional(),
    }),
  ),
});
export type RunOutcome = z.infer<typeof RunOutcome>;
export type TargetOutcome = RunOutcome['targets'][number];

/** Notify's Parameters. */
export const NotifyInput = z.object({ outcome: RunOutcome });
export type NotifyInput = z.infer<typeof NotifyInput>;

/** Notify's output (ResultPath null: recorded in the history, not kept in the data). */
export const NotifyOutput = z.object({
  notifications: z.array(z.object({ channel: z.string(), ok: z.boolean(), attempts: z.number().int() })),
});
export type NotifyOutput = z.infer<typeof NotifyOutput>;

/** Error names the workflow matches in Retry / Catch (`ErrorEquals`). Keep them stable. */
export const WorkflowErrors = {
  LockHeld: 'LockHeldError',
  Superseded: 'SupersededError',
  DependencyFailed: 'DependencyFailedError',
  InvalidConfig: 'InvalidConfigError',
  PlanIntegrity: 'PlanIntegrityError',
  /** SendTaskFailure of an approval that was rejected (functions/lib/approval). */
  ApprovalRejected: 'ApprovalRejected',
  /** Step Functions' own error when WaitForApproval's TimeoutSecondsPath passes. */
  Timeout: 'States.Timeout',
} as const;
