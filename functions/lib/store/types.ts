import type { Status } from '../status.ts';
import type { PlanSummary, RunKind } from '../workflow/contract.ts';

/** A record field; defined with the workflow contract, where Summarize produces it. */
export type { PlanSummary };

/**
 * The record store: one DynamoDB table (infra/table.yml), keys `pk`/`sk`, one GSI (`gsi1pk`/`gsi1sk`),
 * TTL attribute `expiresAt` (epoch seconds). Conditions check expiry themselves: TTL deletion can lag
 * by days. No transactions (dynalite lacks them): every multi-item change is a sequence of
 * conditional writes that is safe to repeat.
 */

export interface RunRecord {
  runId: string;
  repo: string;
  kind: RunKind;
  ref: string;
  branch: string;
  sha: string;
  actor: string;
  deliveryId: string;
  executionArn?: string;
  status: Status;
  /** Why the run ended as it did (skipped reason, failure message); shown to people. */
  reason?: string;
  pullRequest?: number;
  commitMessage?: string;
  /** Outcome of each notification channel (`slack`, `github`, …) at the end of the run. */
  notifications?: Record<string, NotificationResult>;
  /** Slack messages posted about this run: channel id → message ts (recordSlackMessage). */
  slackMessages?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** A skipped run is announced (Slack) only when its pushgate.yml asks (`notify: { skipped: true }`). */
  announceSkipped?: boolean;
  /**
   * A drift run's scope as the drift function recorded it (RunRequest.drift): Validate plans only
   * this, whatever an execution's input says.
   */
  drift?: { environment: string; projects: string[] };
  /**
   * A drift run whose environment sets `drift: { issue: true }` in the default branch's pushgate.yml
   * (recorded by Validate, never from a request): new drift opens a GitHub issue, a clean check closes it.
   */
  driftIssue?: boolean;
}

export interface TargetRecord {
  runId: string;
  repo: string;
  project: string;
  environment: string;
  status: Status;
  sha: string;
  reason?: string;
  summary?: PlanSummary;
  /** sha256 (hex) of the plan artifact that was reviewed; Apply refuses any other. */
  planSha256?: string;
  planArtifactKey?: string;
  /** sha256 of plan.txt / plan.json as the plan build uploaded them: feedback shows only those bytes. */
  planTextSha256?: string;
  planJsonSha256?: string;
  planBuildId?: string;
  applyBuildId?: string;
  /** Step Functions task token of a run waiting for approval (SendTaskSuccess resumes it). */
  approvalTaskToken?: string;
  /** What the wait asks for, stored by RequestApproval when it starts waiting. */
  approvalRequest?: ApprovalRequestRecord;
  /** Every decision taken on this target's approval, oldest first (the one that resumed it is last). */
  approvals?: ApprovalEntry[];
  /** A drift check's target: whether its plan found drift (set by Summarize). */
  drifted?: boolean;
  /** A drift check's target that newly drifted: the check that alerts (Slack). */
  driftAlert?: boolean;
  /** When the drift this check found was first seen. */
  driftSince?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** The approval a target waits for: who may give it, and until when. */
export interface ApprovalRequestRecord {
  /** GitHub logins, `@org/team` entries, or IAM ARNs (`arn:aws:iam::…`) for the CLI. */
  approvers: string[];
  /** Whether the run's actor (the pusher) may approve their own change. */
  allowSelfApproval: boolean;
  requestedAt: string;
  expiresAt: string;
}

/** One approval decision, as recorded on the target. */
export interface ApprovalEntry {
  decision: 'approved' | 'rejected';
  /**
   * The GitHub login (a Slack user or a CLI caller is recorded as the login the policy maps them to),
   * or the caller's AWS ARN for a CLI caller the policy does not map (an approvers entry names it).
   */
  by: string;
  via: 'github' | 'slack' | 'cli';
  at: string;
  reason?: string;
  /** The Slack user id, for a decision taken in Slack. */
  slackUser?: string;
  /** The caller's AWS ARN as STS proved it, for a decision taken with the CLI. */
  awsPrincipal?: string;
}

/** takeApprovalToken's answer: the token to resume the run with, or why this caller may not. */
export type TakeApprovalTokenResult =
  | {
      taken: true;
      taskToken: string;
      /** Where the entry went in `approvals`: restoreApprovalToken takes it out again. */
      entryIndex: number;
    }
  | { taken: false; reason: string };

/** What forceUnlock did: whether a lock was held (and by which run) when it was removed. */
export interface ForceUnlockResult {
  released: boolean;
  owner?: string;
  /** Not released because another run than the expected `owner` holds it now. */
  heldBy?: string;
}

/** An unlock by a person (`/pushgate unlock`), kept in the lock's partition (sk `UNLOCK#<at>#<by>`). */
export interface UnlockRecord {
  repo: string;
  project: string;
  environment: string;
  /** The run that held the lock. */
  owner: string;
  by: string;
  reason: string;
  at: string;
}

export interface NotificationResult {
  ok: boolean;
  attempts: number;
  error?: string;
  at: string;
}

/** One applied deployment of a project to an environment (history; newest first). */
export interface DeploymentRecord {
  repo: string;
  environment: string;
  project: string;
  runId: string;
  sha: string;
  status: Status;
  actor: string;
  summary?: PlanSummary;
  deployedAt: string;
  /**
   * sha256 of the target's definition when it was deployed (project and engine options, the
   * environment's variables, the roles): a run re-plans a target whose definition changed since.
   */
  definition?: string;
  /** The commit this deployment replaced by going back to an older one (a rollback by git). */
  rollbackOf?: string;
  /** The approval decisions on this deployment's target (who approved, when and how). */
  approvals?: ApprovalEntry[];
  /** The run's kind (`push`, `rollback`, `drift` for a remediation, …): what triggered this deployment. */
  trigger?: RunKind;
  /** The last drift check of this deployment; only on "deployed now" items (getCurrent). */
  drift?: DriftState;
}

/** What the last drift check found on a "deployed now" item. */
export interface DriftState {
  drifted: boolean;
  /** The plan's summary when drifted. */
  summary?: PlanSummary;
  /** When this drift was first seen (kept across checks while it stays drifted). */
  since?: string;
  /** The drift run of the last check, and when it ran. */
  runId: string;
  checkedAt: string;
  /** The drift run that first saw this drift (the one that alerted): a retry of it alerts again, no other. */
  alertedBy?: string;
}

/** The registry of every repository + environment with a deployment (recordDeployment writes it). */
export interface DeployedEnvironment {
  repo: string;
  environment: string;
  /** When the last drift check of this environment was started (by the schedule or the CLI). */
  lastDriftCheckAt?: string;
}

/** A drift check's result, for recordDriftCheck. */
export interface DriftCheck {
  /** The commit the check planned: recorded only while the project still runs it. */
  sha: string;
  runId: string;
  drifted: boolean;
  summary?: PlanSummary;
  checkedAt: Date;
}

/** A run waiting in a lock's queue (its ticket), oldest position first. */
export interface LockWaiter {
  owner: string;
  position: string;
  /** When it last asked for the lock. */
  seenAt: string;
  /** When it first asked for the lock (absent on tickets from before the handoff queue). */
  waitingSince?: string;
  /** It waits on a task token (WaitForLock): the release hands the lock to it and resumes it. */
  parked?: boolean;
}

/** A held lock with the runs waiting for it (listLocks). */
export interface HeldLockRecord extends LockRecord {
  waiting: LockWaiter[];
}

export interface LockRecord {
  repo: string;
  project: string;
  environment: string;
  /** The run (execution) that holds it. */
  owner: string;
  acquiredAt: string;
  leaseExpiresAt: string;
  /** Set on reads: the lease ended before `now`, so the next acquireLock by anyone takes it over. */
  expired?: boolean;
  /** Handed over to a waiting run (reserveLock) that has not yet taken it with acquireLock. */
  reserved?: boolean;
}

/**
 * Contention is a result, not an exception (as in Atlantis' locker). `waiting`: someone holds the
 * lock, or an older run is ahead in the queue; `superseded`: in `supersede` mode a newer run for the
 * same target is waiting, so this one should give up.
 */
export type AcquireLockResult =
  | { status: 'acquired'; lock: LockRecord; tookOverFrom?: string; waitingSince?: string }
  | { status: 'waiting'; holder?: LockRecord; ahead: number; waitingSince: string }
  | { status: 'superseded'; by: string };

export interface AcquireLockOptions {
  /** How long the lock is ours without renewal; a lease past its end can be taken over. */
  leaseSeconds: number;
  /**
   * Sortable position of the caller in the queue for this key (e.g. `<receivedAt>#<runId>`): in
   * `queue` mode the oldest waiting run acquires first, so applies happen in push order; in
   * `supersede` mode the newest wins and older waiters are told they were superseded.
   */
  position: string;
  mode: 'queue' | 'supersede';
  /**
   * A waiter that has neither asked again nor parked on a task token (waitForLock) for this long is
   * presumed dead and no longer blocks others. A parked waiter counts until its wait ends.
   */
  waiterTtlSeconds?: number;
}

/** A live queue ticket as the handoff reads it (lockQueue), in queue order. */
export interface LockTicket {
  owner: string;
  position: string;
  /** The waiting run's `concurrency` (tickets from before the handoff queue: `queue`). */
  mode: 'queue' | 'supersede';
  /** When the run first asked for the lock. */
  waitingSince: string;
  /** The task token of the run's WaitForLock once it parked there; never logged. */
  taskToken?: string;
}

/** One lock's partition as the handoff reads it: the holder (if any), the newest position that held it, the queue. */
export interface LockQueue {
  holder?: LockRecord & { position?: string };
  /** The newest position that ever held the lock and released it (see acquireLock's superseded). */
  lastPosition?: string;
  lastOwner?: string;
  tickets: LockTicket[];
}

export type AcceptDeliveryResult = { accepted: true } | { accepted: false; runId: string };

/** One target of every run that deploys it: a repository's project in one environment. Its lock has this key. */
export interface TargetKey {
  repo: string;
  project: string;
  environment: string;
}

/** The store's slices, one per kind of caller; each step's deps name only the slices it uses. */

/** Access pattern 1: webhook deliveries (the webhook intake). */
export interface DeliveryStore {
  /** Accept a webhook delivery exactly once (conditional put on the delivery id). */
  acceptDelivery(deliveryId: string, runId: string, now?: Date): Promise<AcceptDeliveryResult>;
  /** Forget an accepted delivery whose run could not be started, so that GitHub's redelivery retries it. */
  forgetDelivery(deliveryId: string, runId: string): Promise<void>;
}

/** listRuns's filters: how many, and only runs with targets in one environment, or in one status. */
export interface ListRunsOptions {
  /** At most this many (default 20). */
  limit?: number;
  /** Only runs with a target in this environment (read through the targets' environment index). */
  environment?: string;
  /** Only runs in this status. */
  status?: Status;
}

/** Access patterns 2, 5 and 7: runs, by id, by commit, and of a repository. */
export interface RunStore {
  createRun(
    run: Omit<RunRecord, 'createdAt' | 'updatedAt' | 'status'> & { status?: Status },
    now?: Date,
  ): Promise<RunRecord>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Record how a notification channel fared; never changes the run's status. */
  recordNotification(runId: string, channel: string, result: NotificationResult): Promise<void>;
  /** Rejects (InvalidTransitionError) a transition the lifecycle does not allow. */
  setRunStatus(
    runId: string,
    status: Status,
    fields?: Partial<Pick<RunRecord, 'reason' | 'executionArn' | 'announceSkipped' | 'driftIssue'>>,
    now?: Date,
  ): Promise<RunRecord>;
  /** Newest first. */
  findRunsBySha(repo: string, sha: string): Promise<RunRecord[]>;
  /**
   * The runs of a repository, newest first (pattern 7). Runs created before the repository list
   * existed are not in it.
   */
  listRuns(repo: string, options?: ListRunsOptions): Promise<RunRecord[]>;
  /** Remember the Slack message posted for this run in `channel` (its `ts`), so it can be updated later. */
  recordSlackMessage(runId: string, channel: string, ts: string): Promise<void>;
  /** The Slack messages of a run: channel → ts; empty when none (or no such run). */
  getSlackMessages(runId: string): Promise<Record<string, string>>;
}

/** Access pattern 2: the targets of a run (what every per-target step records). */
export interface TargetStore {
  putTarget(target: Omit<TargetRecord, 'createdAt' | 'updatedAt'>, now?: Date): Promise<TargetRecord>;
  getTarget(runId: string, project: string, environment: string): Promise<TargetRecord | undefined>;
  listTargets(runId: string): Promise<TargetRecord[]>;
  /** Rejects (InvalidTransitionError) a transition the lifecycle does not allow. */
  setTargetStatus(
    runId: string,
    project: string,
    environment: string,
    status: Status,
    fields?: Partial<
      Pick<
        TargetRecord,
        | 'reason'
        | 'summary'
        | 'planSha256'
        | 'planArtifactKey'
        | 'planTextSha256'
        | 'planJsonSha256'
        | 'planBuildId'
        | 'applyBuildId'
        | 'approvalTaskToken'
        | 'approvalRequest'
        | 'drifted'
        | 'driftAlert'
        | 'driftSince'
      >
    >,
    now?: Date,
  ): Promise<TargetRecord>;
  /**
   * Removes a target's approval task token once the wait is over (approved, rejected, timed out): a
   * token that still exists is one more thing that could resume a run. Safe to repeat.
   */
  forgetApprovalToken(runId: string, project: string, environment: string): Promise<void>;
  /**
   * The one way an approval resumes a run: one conditional update that, only while the target is
   * `awaiting_approval`, holds a token and still has the plan `expect.planSha256`, appends `entry`
   * to `approvals` and removes the token, answering the token it removed. Two approvers at once:
   * one takes it, the other is told why not ("already approved by …"). A refusal is a result.
   */
  takeApprovalToken(
    runId: string,
    project: string,
    environment: string,
    entry: ApprovalEntry,
    expect: { planSha256: string },
  ): Promise<TakeApprovalTokenResult>;
  /**
   * Puts back a token that takeApprovalToken took when resuming the run failed for a reason worth
   * retrying (Step Functions unreachable), and drops the entry it appended; only while the target
   * is still `awaiting_approval` without a token. Returns whether it did.
   */
  restoreApprovalToken(
    runId: string,
    project: string,
    environment: string,
    taskToken: string,
    entryIndex: number,
  ): Promise<boolean>;
}

/** Access patterns 3 and 4: what was deployed, and what is deployed now. */
export interface DeploymentStore {
  /** Record an applied deployment; updates "deployed now" only if it is newer. */
  recordDeployment(deployment: DeploymentRecord): Promise<void>;
  listDeployments(
    repo: string,
    environment: string,
    options?: { limit?: number; project?: string },
  ): Promise<DeploymentRecord[]>;
  getCurrent(repo: string, environment: string): Promise<DeploymentRecord[]>;
  /** Every repository + environment that has had a successful deployment (written by recordDeployment). */
  listDeployedEnvironments(filter?: { repo?: string; environment?: string }): Promise<DeployedEnvironment[]>;
  /** Remember that a drift check of repo + environment was started at `at` (the schedule reads it). */
  markDriftCheckStarted(repo: string, environment: string, at: Date): Promise<void>;
  /**
   * Record a drift check's result on the "deployed now" item of the project, only while it still runs
   * `sha` (otherwise `{ recorded: false }`: a deploy moved it on, the check is moot).
   * `newDrift` is true when drifted now and not drifted before (the one check that alerts); a repeat
   * of that same check (same runId, a retried Summarize) answers `newDrift: true` again.
   */
  recordDriftCheck(
    key: { repo: string; environment: string; project: string },
    check: DriftCheck,
  ): Promise<{ recorded: boolean; newDrift: boolean; since?: string }>;
}

/** Access pattern 6: one lock per target, with its queue. Contention is a result naming the holder, not an exception. */
export interface LockStore {
  acquireLock(key: TargetKey, owner: string, options: AcquireLockOptions, now?: Date): Promise<AcquireLockResult>;
  getLock(key: TargetKey, now?: Date): Promise<LockRecord | undefined>;
  /** Releases only when `owner` holds it (and drops `owner`'s place in the queue); returns whether it held it. */
  releaseLock(key: TargetKey, owner: string): Promise<boolean>;
  /** Leave the queue without holding the lock (a superseded or cancelled waiter). */
  leaveQueue(key: TargetKey, owner: string): Promise<void>;
  /**
   * Releases the lock whoever holds it (`/pushgate unlock`), keeping the newest position as a release
   * does, and records who and why (an UNLOCK item in the lock's partition, see listUnlocks). The run
   * that held it finds at its release that it lost it (`conflict`).
   */
  forceUnlock(
    key: TargetKey,
    by: { by: string; reason: string; owner?: string },
    now?: Date,
  ): Promise<ForceUnlockResult>;
  /** Unlocks by people of one lock, newest first. */
  listUnlocks(key: TargetKey): Promise<UnlockRecord[]>;
  /**
   * The held locks of a repository (by project, then environment), each with the runs still waiting
   * for it. Locks taken before held locks were indexed are not listed.
   */
  listLocks(repo: string, now?: Date): Promise<HeldLockRecord[]>;
  /**
   * Parks `owner`'s ticket on a task token until `waitUntil` (WaitForLock): it then counts in the queue
   * without asking again, and the lock sweep finds it. False when the ticket is gone (left the queue).
   */
  parkTicket(
    key: TargetKey,
    ticket: { owner: string; position: string },
    taskToken: string,
    waitUntil: Date,
    now?: Date,
  ): Promise<boolean>;
  /** One consistent read of the lock and its live tickets (dead ones are dropped on the way). */
  lockQueue(key: TargetKey, now?: Date): Promise<LockQueue>;
  /**
   * Hands the lock to a waiting ticket's run: held for it for `reservationSeconds`, until its
   * acquireLock takes it. Only a free lock or one whose lease ran out, and never to a position older
   * than the newest that held it. False when that condition failed (someone got there first).
   */
  reserveLock(
    key: TargetKey,
    ticket: { owner: string; position: string },
    options: { reservationSeconds: number; tookOverFrom?: string },
    now?: Date,
  ): Promise<boolean>;
  /** Undoes reserveLock for `owner` (its run is gone); a lock it already took stays. */
  cancelReservation(key: TargetKey, owner: string): Promise<void>;
  /** The resume reached the ticket's run: its token is spent, and it counts as a fresh waiter until it acquires. */
  ticketResumed(
    key: TargetKey,
    ticket: { owner: string; position: string; taskToken: string },
    now?: Date,
  ): Promise<void>;
  /** Drops a ticket whose token no longer resumes anything, unless it was parked again since (another token). */
  dropTicket(key: TargetKey, ticket: { owner: string; position: string; taskToken: string }): Promise<void>;
  /** Every lock with a parked ticket, across repositories (the lock sweep's work list). */
  listParkedLocks(): Promise<TargetKey[]>;
  /**
   * Every parked ticket with its task token, across repositories: the lock sweep heartbeats each.
   * Read from an eventually consistent index, so a ticket resumed a moment ago may still be listed.
   */
  listParkedTickets(): Promise<ParkedTicket[]>;
}

/** A ticket parked on its WaitForLock task token (listParkedTickets). The token is never logged. */
export interface ParkedTicket {
  key: TargetKey;
  owner: string;
  position: string;
  taskToken: string;
}

/** The whole store, for code that needs all of it (the CLI, the local stack, tests). */
export type Store = DeliveryStore & RunStore & TargetStore & DeploymentStore & LockStore;
