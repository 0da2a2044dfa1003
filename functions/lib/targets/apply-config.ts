import type { PushgateConfig } from '../config/config-schema.ts';
import { InvalidConfigError } from '../config/invalid-config-error.ts';
import { parseConfig } from '../config/parse-config.ts';
import type { GitHost, PullRequestInfo } from '../git/git-host.ts';
import type { RunRequest } from '../workflow/contract.ts';
import { CONFIG_FILE } from './config-file.ts';

/** The configuration a `/pushgate apply` deploys with, or why it deploys nothing. */
export type ApplyConfig = { config: PushgateConfig } | { skipped: string };

/**
 * `/pushgate apply` deploys code nobody merged yet, so nothing about how it deploys may come from
 * that code: environments, approvals, `after:`, concurrency, projects and their commands all come
 * from the BASE branch's pushgate.yml. Otherwise a pull request could drop prod's approval from its
 * own pushgate.yml and apply itself. The pull request's changes to pushgate.yml take effect once
 * merged; its head's pushgate.yml is not read at all (it need not even be valid).
 *
 * Only an open pull request can be applied: applying a closed or merged one would deploy old code
 * over what its branch deployed since (a rollback nobody reviewed as one).
 */
export async function applyConfig(run: RunRequest, pull: PullRequestInfo, gitHost: GitHost): Promise<ApplyConfig> {
  if (pull.merged) {
    return { skipped: `pull request #${pull.number} is merged: /pushgate apply only deploys open pull requests` };
  }
  if (pull.state !== 'open') {
    return { skipped: `pull request #${pull.number} is closed: /pushgate apply only deploys open pull requests` };
  }
  // The branch whose environments the run targets (runMode's), as it is now: pulls.get's base.sha
  // can predate the base branch's latest commit (https://github.com/github/docs/issues/431), and so
  // a policy tightened since. `refs/heads/` so that a tag named like the branch cannot stand in.
  const baseBranch = run.pullRequest?.baseRef ?? run.branch;
  const text = await gitHost.getFile(run.repo, CONFIG_FILE, `refs/heads/${baseBranch}`);
  if (text === undefined) {
    return {
      skipped: `no ${CONFIG_FILE} on ${baseBranch}: /pushgate apply deploys with the base branch's ${CONFIG_FILE}`,
    };
  }
  const parsed = parseConfig(text);
  if (!parsed.ok) {
    const { message } = InvalidConfigError.fromProblems(parsed.problems, `${CONFIG_FILE} on ${baseBranch}`);
    return { skipped: `/pushgate apply deploys with the base branch's ${CONFIG_FILE}, and ${message}` };
  }
  return { config: parsed.config };
}
