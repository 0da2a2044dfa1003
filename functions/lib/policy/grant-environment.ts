import picomatch from 'picomatch';
import type { Engine } from '../engines/engine.ts';
import type { PlatformPolicy, PolicyEnvironment, PolicyRepositories } from './platform-policy.ts';

/** What a run may do in one environment once the policy and the trusted pushgate.yml agree. */
export interface EnvironmentGrant {
  /** Roles the builds assume; `plan` absent: the stack's own read-only plan role. */
  roles: { plan?: string; apply?: string };
  approval: GrantedApproval;
}

/** The approval a target asks for: who, how long it waits (seconds), and whether the pusher may approve. */
export interface GrantedApproval {
  required: boolean;
  approvers: string[];
  timeoutSeconds: number;
  allowSelfApproval: boolean;
}

/** What pushgate.yml and the policy say of an approval (their schemas fill the defaults). */
interface ApprovalSetting {
  required: boolean;
  approvers: string[];
  timeoutMinutes?: number | undefined;
  allowSelfApproval?: boolean | undefined;
}

/** 24 h: an approval nobody gives ends the target `expired` after this long. */
export const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 1440;

/**
 * `granted`, or why not: `refused` is the policy saying no (the run records it and deploys the rest),
 * `failed` is a policy that cannot work as written (the run fails naming the setting).
 */
export type GrantResult = { granted: EnvironmentGrant } | { refused: string } | { failed: string };

export interface GrantRequest {
  repo: string;
  environment: string;
  /** The branch whose environments the run targets (the pushed branch, a pull request's base). */
  branch: string;
  /** The repository's default branch: what `branches` defaults to. */
  defaultBranch: string;
  /** False for plan-only runs: they need no apply role and may plan from any branch. */
  deploying: boolean;
  /** The approval the trusted pushgate.yml asks for. */
  approval?: ApprovalSetting | undefined;
  /** Where the policy lives, named in messages (`/pushgate/prod/policy`). */
  source: string;
}

/** The first rule of the policy whose `repos` globs match `repo`. */
export function ruleFor(policy: PlatformPolicy, repo: string): { rule: PolicyRepositories; index: number } | undefined {
  const index = policy.repositories.findIndex((rule) => picomatch(rule.repos, { nocase: true })(repo));
  return index === -1 ? undefined : { rule: policy.repositories[index]!, index };
}

/**
 * Combines the operator's policy with the repository's trusted pushgate.yml for one environment: the
 * repository can add approvals and narrow approvers, never drop what the policy requires; branches
 * and roles come from the policy alone.
 */
export function grantEnvironment(policy: PlatformPolicy, request: GrantRequest): GrantResult {
  const { repo, environment, branch, source } = request;
  const found = ruleFor(policy, repo);
  if (!found)
    return { refused: `${repo} is not in the platform policy (${source}): an operator adds it under repositories` };
  const named = found.rule.environments[environment];
  const key = named ? environment : '*';
  const entry: PolicyEnvironment | undefined = named ?? found.rule.environments['*'];
  if (!entry) return { refused: `the platform policy lets ${repo} deploy no environment named ${environment}` };
  const setting = `repositories[${found.index}].environments.${key}`;

  if (request.deploying) {
    const branches = entry.branches ?? [request.defaultBranch];
    if (!picomatch(branches, { dot: true })(branch)) {
      return {
        refused: `the platform policy deploys ${environment} only from ${branches.join(', ')}, not from ${branch}`,
      };
    }
    if (!entry.applyRole) {
      return {
        failed: `${environment} has no apply role: set ${setting}.applyRole in the platform policy (${source})`,
      };
    }
  }

  const approval = mergeApproval(entry.approval, request.approval);
  if ('failed' in approval) return { failed: `${environment}: ${approval.failed} (${setting}.approval in ${source})` };
  return {
    granted: {
      roles: {
        ...(entry.planRole ? { plan: entry.planRole } : {}),
        ...(entry.applyRole ? { apply: entry.applyRole } : {}),
      },
      approval,
    },
  };
}

/**
 * Required if either requires it. Approvers: the repository's list narrowed to the policy's when both
 * name people (nobody outside the policy's list can approve), else whichever names them.
 */
function mergeApproval(
  policy: ApprovalSetting | undefined,
  repository: ApprovalSetting | undefined,
): GrantedApproval | { failed: string } {
  const required = Boolean(policy?.required) || Boolean(repository?.required);
  const fromPolicy = policy?.approvers ?? [];
  const fromRepository = repository?.approvers ?? [];
  const lower = new Set(fromPolicy.map((name) => name.toLowerCase()));
  const approvers =
    fromPolicy.length === 0
      ? fromRepository
      : fromRepository.length === 0
        ? fromPolicy
        : fromRepository.filter((name) => lower.has(name.toLowerCase()));
  if (required && approvers.length === 0) {
    return {
      failed: "approval is required but nobody on pushgate.yml's list is an approver the platform policy allows",
    };
  }
  // The shorter wait wins; self-approval needs pushgate.yml to allow it and the policy not to forbid it.
  const minutes = Math.min(
    repository?.timeoutMinutes ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES,
    policy?.timeoutMinutes ?? Number.POSITIVE_INFINITY,
  );
  return {
    required,
    approvers,
    timeoutSeconds: Math.max(1, Math.round(minutes * 60)),
    allowSelfApproval: repository?.allowSelfApproval === true && policy?.allowSelfApproval !== false,
  };
}

/** Whether the policy lets `repo` use `engine` (all engines when the rule lists none). */
export function engineAllowed(policy: PlatformPolicy, repo: string, engine: Engine): boolean {
  const engines = ruleFor(policy, repo)?.rule.engines;
  return engines === undefined || engines.includes(engine);
}

/** Whether the policy lets `repo` turn on applyBeforeMerge. */
export function applyBeforeMergeAllowed(policy: PlatformPolicy, repo: string): boolean {
  return ruleFor(policy, repo)?.rule.applyBeforeMerge ?? false;
}
