import picomatch from 'picomatch';
import type { PushgateConfig } from '../../../functions/lib/config/config-schema.ts';
import { parseConfig } from '../../../functions/lib/config/parse-config.ts';
import { formatPath } from '../../../functions/lib/config/format-path.ts';
import {
  applyBeforeMergeAllowed,
  engineAllowed,
  grantEnvironment,
} from '../../../functions/lib/policy/grant-environment.ts';
import type { LoadedPolicy } from '../../../functions/lib/policy/read-policy.ts';
import { parsePath, YamlLocator, type PathSegment } from './locate-in-yaml.ts';

/** One thing a run would refuse in pushgate.yml, where it is (1-based; null when unknown) and why. */
export interface ValidationProblem {
  path: string;
  line: number | null;
  column: number | null;
  message: string;
}

/** The platform policy to check against, for which repository, whose default branch is which. */
export interface PolicyContext {
  loaded: LoadedPolicy;
  repo: string;
  defaultBranch: string;
}

export type PolicyReport =
  { checked: true; source: string; repo: string; defaultBranch: string } | { checked: false; reason: string };

export interface ConfigValidation {
  valid: boolean;
  problems: ValidationProblem[];
  /** Counted when the schema accepts the file. */
  projects?: number;
  environments?: number;
  policy: PolicyReport;
}

/**
 * pushgate.yml checked as a run's Validate step checks it, without the run: the schema with every
 * problem at its path, line and column (parse-config.ts, with check-references.ts and
 * check-engine-options.ts), then, when a platform policy is given, what the policy would refuse on a
 * push to each environment's branches (grant-environment.ts, as decide-targets.ts asks it): the
 * repository, the environment, the branch, the approvals, the engines, applyBeforeMerge.
 */
export function validateConfig(text: string, policy: PolicyContext | { unavailable: string }): ConfigValidation {
  const locator = new YamlLocator(text);
  const parsed = parseConfig(text);
  if (!parsed.ok) {
    const problems = parsed.problems.map((problem): ValidationProblem => {
      const segments = problem.path ? parsePath(problem.path) : [];
      const located = segments && problem.path ? locator.at(segments) : undefined;
      const line = problem.line ?? located?.line ?? null;
      const column =
        line === null
          ? null
          : !problem.path
            ? (locator.syntaxErrorColumn(line) ?? null)
            : located?.line === line
              ? located.column
              : null;
      return { path: problem.path, line, column, message: problem.message };
    });
    problems.sort(byPosition);
    const reason = 'the file has schema problems: the platform policy is checked once they are fixed';
    return {
      valid: false,
      problems,
      policy: { checked: false, reason: 'unavailable' in policy ? policy.unavailable : reason },
    };
  }
  const { config } = parsed;
  const counts = { projects: config.projects.length, environments: Object.keys(config.environments).length };
  if ('unavailable' in policy) {
    return { valid: true, problems: [], ...counts, policy: { checked: false, reason: policy.unavailable } };
  }
  const problems = policyProblems(config, policy)
    .map(({ path, message }): ValidationProblem => {
      const at = locator.at(path);
      return { path: formatPath(path), line: at?.line ?? null, column: at?.column ?? null, message };
    })
    .sort(byPosition);
  return {
    valid: problems.length === 0,
    problems,
    ...counts,
    policy: { checked: true, source: policy.loaded.source, repo: policy.repo, defaultBranch: policy.defaultBranch },
  };
}

/** Top to bottom, left to right; problems without a line last (sort is stable: ties keep their order). */
function byPosition(a: ValidationProblem, b: ValidationProblem): number {
  const end = Number.MAX_SAFE_INTEGER;
  return (a.line ?? end) - (b.line ?? end) || (a.column ?? end) - (b.column ?? end);
}

function policyProblems(
  config: PushgateConfig,
  { loaded, repo, defaultBranch }: PolicyContext,
): { path: PathSegment[]; message: string }[] {
  const problems: { path: PathSegment[]; message: string }[] = [];
  const seen = new Set<string>();
  const add = (path: PathSegment[], message: string) => {
    if (seen.has(message)) return;
    seen.add(message);
    problems.push({ path, message });
  };

  for (const [environment, settings] of Object.entries(config.environments)) {
    // A glob names no branch to ask about: the policy is asked what it says of the environment alone.
    const branches = settings.branch.map((branch, index) => ({ branch, index }));
    const literal = branches.filter(({ branch }) => !picomatch.scan(branch).isGlob);
    const asks = literal.length > 0 ? literal : [{ branch: settings.branch[0]!, index: undefined }];
    for (const { branch, index } of asks) {
      const result = grantEnvironment(loaded.policy, {
        repo,
        environment,
        branch,
        defaultBranch,
        deploying: index !== undefined,
        approval: settings.approval,
        source: loaded.source,
      });
      if ('refused' in result) {
        const path: PathSegment[] =
          index === undefined || settings.branch.length === 1
            ? ['environments', environment, 'branch']
            : ['environments', environment, 'branch', index];
        add(path, result.refused);
      } else if ('failed' in result) {
        add(['environments', environment], `a run would fail: ${result.failed}`);
      }
    }
  }
  config.projects.forEach((project, index) => {
    if (!engineAllowed(loaded.policy, repo, project.engine)) {
      add(['projects', index, 'engine'], `the platform policy does not let ${repo} use the ${project.engine} engine`);
    }
  });
  if (config.applyBeforeMerge && !applyBeforeMergeAllowed(loaded.policy, repo)) {
    add(
      ['applyBeforeMerge'],
      `the platform policy does not let ${repo} apply before a merge ("/pushgate apply" would only plan)`,
    );
  }
  return problems;
}
