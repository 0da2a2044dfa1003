import { awsPrincipalLogin } from '../approval/aws-principal.ts';
import { callerIntent } from '../approval/caller-intent.ts';
import type { CallerIdentity } from '../approval/verify-caller-identity.ts';
import { canWrite, type GitHost } from '../git/git-host.ts';
import type { PlatformPolicy } from '../policy/platform-policy.ts';
import { runRecordInput } from '../run/run-record-input.ts';
import type { DeploymentStore, RunStore } from '../store/types.ts';
import { executionName } from '../webhook/execution-name.ts';
import { newRunId } from '../webhook/new-run-id.ts';
import type { RunRequest } from '../workflow/contract.ts';
import type { Workflow } from '../workflow/workflow.ts';
import { RollbackStartError } from './rollback-errors.ts';
import { RollbackInvocation, type RollbackResult } from './rollback-invocation.ts';
import { resolveRollback } from './resolve-rollback.ts';

export interface StartRollbackDeps {
  store: Pick<RunStore, 'createRun' | 'getRun' | 'setRunStatus'> &
    Pick<DeploymentStore, 'getCurrent' | 'listDeployments'>;
  gitHost: Pick<GitHost, 'getPermission' | 'getDefaultBranch'>;
  /** The operator's platform policy (its awsPrincipals say who an AWS caller is). */
  policy: () => Promise<PlatformPolicy>;
  /** Proves the caller with STS, for the request whose intent (callerIntent) is given. */
  verifyIdentity: (presignedUrl: string, intent: string) => Promise<CallerIdentity>;
  workflow: Workflow;
  now?: () => Date;
  newRunId?: () => string;
  logger?: { info(message: string, extra: Record<string, unknown>): void };
}

/**
 * The rollback function's step (`pushgate rollback`): who asks is proven, not claimed, and what is
 * restored comes from the recorded deployments, never from the request.
 * 1. The caller's ARN is proven with STS (the presigned GetCallerIdentity URL) and mapped to a GitHub
 *    login by the platform policy's awsPrincipals; an unmapped caller is refused.
 * 2. That login needs write access to the repository (as `/pushgate` commands do): whoever could push
 *    the old commit back may roll back to it. Approvals are not loosened: the run waits for the
 *    environment's approval as configured, and the caller is its actor (self-approval rules apply).
 * 3. The commit is the last successful deployment before the current one, per project, or `to` when
 *    that was deployed there successfully before (resolveRollback).
 * 4. The run is recorded first (kind `rollback`, actor the login), then the workflow is started with
 *    its RunRequest, as the webhook intake does; Validate and PrepareApply check the commit again.
 */
export async function startRollback(event: unknown, deps: StartRollbackDeps): Promise<RollbackResult> {
  const parsed = RollbackInvocation.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      code: 'invalid',
      message: `invalid request at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const { identity, ...request } = parsed.data;
  const { repo, environment, project, to } = request;
  // Proven for this rollback only: an approval's proof (or another rollback's) is refused by STS.
  const caller = await deps.verifyIdentity(identity.presignedUrl, callerIntent('rollback', request));
  if ('refused' in caller) return { ok: false, code: 'refused', message: caller.refused };
  const policy = await deps.policy();
  const login = awsPrincipalLogin(caller.arn, policy.awsPrincipals ?? {});
  if (login === undefined) {
    return {
      ok: false,
      code: 'refused',
      message: `${caller.arn} is not mapped to a GitHub login (policy awsPrincipals): only a mapped caller may roll back`,
    };
  }
  const permission = await deps.gitHost.getPermission(repo, login);
  if (!canWrite(permission)) {
    return {
      ok: false,
      code: 'refused',
      message: `${login} has ${permission} access to ${repo}: a rollback needs write access`,
    };
  }

  const resolved = await resolveRollback(
    { repo, environment, ...(project === undefined ? {} : { project }), ...(to === undefined ? {} : { to }) },
    deps.store,
  );
  if ('unknown' in resolved) return { ok: false, code: 'unknown', message: resolved.unknown };
  if ('refused' in resolved) return { ok: false, code: 'refused', message: resolved.refused };

  const defaultBranch = await deps.gitHost.getDefaultBranch(repo);
  // The branch whose run deployed that commit: its environments and the policy's branch rules apply.
  const earlier = await deps.store.getRun(resolved.deployment.runId);
  const branch = earlier?.branch ?? defaultBranch;
  const now = deps.now?.() ?? new Date();
  const runId = (deps.newRunId ?? newRunId)();
  const run: RunRequest = {
    runId,
    deliveryId: `rollback-${runId}`,
    kind: 'rollback',
    repo,
    ref: `refs/heads/${branch}`,
    branch,
    defaultBranch,
    sha: resolved.sha,
    actor: login,
    ...(earlier?.commitMessage === undefined ? {} : { commitMessage: earlier.commitMessage }),
    rollback: { environment, projects: resolved.targets.map((target) => target.project) },
    receivedAt: now.toISOString(),
  };
  const name = executionName(run);
  const executionArn = deps.workflow.executionArn(name);
  await deps.store.createRun(runRecordInput(run, { executionArn }), now);
  try {
    await deps.workflow.start(run, name);
  } catch (error) {
    const reason = `the workflow did not start: ${error instanceof Error ? error.message : String(error)}`;
    await deps.store.setRunStatus(runId, 'failed', { reason }).catch(() => undefined);
    throw new RollbackStartError(`rollback run ${runId} did not start`, { cause: error });
  }
  deps.logger?.info('rollback started', {
    runId,
    repo,
    environment,
    sha: resolved.sha,
    actor: login,
    awsPrincipal: caller.arn,
  });
  return {
    ok: true,
    runId,
    executionArn,
    repo,
    environment,
    sha: resolved.sha,
    actor: login,
    targets: resolved.targets,
  };
}
