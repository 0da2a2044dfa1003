import { decideApproval } from '../approval/decide-approval.ts';
import type { DecideApprovalDeps } from '../approval/types.ts';
import { canWrite, type GitHost } from '../git/git-host.ts';
import type { LockStore } from '../store/types.ts';
import type { CommandRequest, CommandResult } from './command-request.ts';
import { helpText } from './help-text.ts';

/** Pull request comments (GitHubHost.createComment), declared here by shape. */
export interface PullRequestComments {
  createComment(repo: string, number: number, body: string): Promise<{ id: number }>;
}

export interface RunCommandDeps extends Omit<DecideApprovalDeps, 'store' | 'gitHost'> {
  store: DecideApprovalDeps['store'] & Pick<LockStore, 'forceUnlock'>;
  gitHost: DecideApprovalDeps['gitHost'] & Pick<GitHost, 'getPermission'> & PullRequestComments;
}

/**
 * Runs one comment command and replies on the pull request, mentioning the commenter, with what
 * happened or why not. Only people with write access may give commands (as for plan and apply).
 * `approve [project] [environment]` and `reject <reason>` decide through decideApproval;
 * `unlock <project> <environment>` releases the lock whoever holds it (a run waiting for it takes it
 * at its next try); `help` and anything unknown get the list of commands.
 */
export async function runCommand(request: CommandRequest, deps: RunCommandDeps): Promise<CommandResult> {
  const result = await decide(request, deps);
  await deps.gitHost.createComment(request.repo, request.pullRequest, `@${request.author} ${result.reply}`);
  return result;
}

async function decide(request: CommandRequest, deps: RunCommandDeps): Promise<CommandResult> {
  const { command, args, author, repo, pullRequest } = request;
  const refused = (reply: string): CommandResult => ({ command, outcome: 'refused', reply });
  const known = ['approve', 'reject', 'unlock'];
  if (!known.includes(command)) {
    const intro =
      command === 'help' ? 'pushgate commands:' : `\`/pushgate ${command}\` is not a command. pushgate commands:`;
    return { command, outcome: 'help', reply: `${intro}\n\n${helpText()}` };
  }
  const permission = await deps.gitHost.getPermission(repo, author);
  if (!canWrite(permission)) {
    return refused(`you have ${permission} access to ${repo}: \`/pushgate ${command}\` needs write access.`);
  }

  if (command === 'unlock') {
    const [project, environment, ...rest] = args;
    if (project === undefined || environment === undefined || rest.length > 0 || /#/.test(project + environment)) {
      return refused('usage: `/pushgate unlock <project> <environment>`.');
    }
    const unlocked = await deps.store.forceUnlock(
      { repo, project, environment },
      { by: author, reason: `unlocked from PR #${pullRequest}` },
    );
    return unlocked.released
      ? {
          command,
          outcome: 'done',
          reply: `unlocked ${project}/${environment} (it was held by run ${unlocked.owner}). A run waiting for it takes it at its next try; the run that held it ends \`conflict\` if it still applies.`,
        }
      : refused(`${project}/${environment} is not locked.`);
  }

  let decision;
  if (command === 'approve') {
    const [project, environment, ...rest] = args;
    if (rest.length > 0) return refused('usage: `/pushgate approve [project] [environment]`.');
    decision = await decideApproval(
      {
        decision: 'approve',
        via: 'github',
        repo,
        pullRequest,
        ...(project === undefined ? {} : { project }),
        ...(environment === undefined ? {} : { environment }),
        actor: { github: author },
      },
      deps,
    );
  } else {
    const reason = args.join(' ').trim();
    if (reason === '') return refused('a rejection needs a reason: `/pushgate reject <reason>`.');
    decision = await decideApproval(
      { decision: 'reject', via: 'github', repo, pullRequest, reason, actor: { github: author } },
      deps,
    );
  }
  return { command, outcome: decision.ok ? 'done' : 'refused', reply: decision.message };
}
