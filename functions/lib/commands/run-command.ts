import { decideApproval } from '../approval/decide-approval.ts';
import type { DecideApprovalDeps } from '../approval/types.ts';
import { EnvironmentName, ProjectName } from '../config/config-schema.ts';
import { canWrite, type GitHost, type IssueCommentReader } from '../git/git-host.ts';
import type { LockStore, TargetStore } from '../store/types.ts';
import { parseCommand } from '../webhook/parse-command.ts';
import type { CommandRequest, CommandResult } from './command-request.ts';
import { helpText } from './help-text.ts';
import { isWorkflowCommand } from './is-workflow-command.ts';
import type { HandOver } from '../locks/hand-over.ts';
import { unlockTarget } from '../store/unlock-target.ts';

/** Pull request comments (GitHubHost.createComment), declared here by shape. */
export interface PullRequestComments {
  createComment(repo: string, number: number, body: string): Promise<{ id: number }>;
}

export interface RunCommandDeps extends Omit<DecideApprovalDeps, 'store' | 'gitHost'> {
  store: DecideApprovalDeps['store'] &
    Pick<LockStore, 'forceUnlock' | 'getLock' | 'listUnlocks'> &
    Pick<TargetStore, 'getTarget'>;
  gitHost: DecideApprovalDeps['gitHost'] & Pick<GitHost, 'getPermission'> & PullRequestComments & IssueCommentReader;
  /** After an unlock: hands the lock to the next run waiting for it and resumes it (locks/hand-over.ts). */
  handOver?: HandOver;
}

/**
 * Runs one comment command and replies on the pull request, mentioning the commenter, with what
 * happened or why not.
 * - The event is not believed: whoever may invoke the commands function could write any author.
 *   The comment is read from GitHub by its id; it must be on this pull request of this repository,
 *   give the command the event names and be written by the author the event names. Its author and
 *   its body (parsed again) are then what counts. Anything else is `ignored`: logged, no reply.
 * - Only people with write access may give commands (as for plan and apply).
 * - `approve [project] [environment]` and `reject <reason>` decide through decideApproval;
 *   `unlock <project> <environment>` releases the lock whoever holds it (the next run waiting for it
 *   is handed it and resumed), except while its holder applies; `help` and anything unknown get the list of
 *   commands (an unknown command is not echoed: a reply must not carry mentions or links written by
 *   someone else as pushgate).
 * - Once something is done, a reply that fails is reported in `replyError`, never thrown: a thrown
 *   error would make Lambda run the command again. A repeated unlock of the same comment does not
 *   unlock again.
 */
export async function runCommand(event: CommandRequest, deps: RunCommandDeps): Promise<CommandResult> {
  const verified = await verifyComment(event, deps.gitHost);
  if ('ignored' in verified) return { command: event.command, outcome: 'ignored', reply: '', reason: verified.ignored };
  const request = verified.request;
  const result = await decide(request, deps);
  const reply = neutraliseMentions(result.reply);
  try {
    await deps.gitHost.createComment(request.repo, request.pullRequest, `@${request.author} ${reply}`);
  } catch (error) {
    return { ...result, reply, replyError: error instanceof Error ? error.message : String(error) };
  }
  return { ...result, reply };
}

/** The command as GitHub has the comment, or why the event is not one. */
async function verifyComment(
  event: CommandRequest,
  gitHost: IssueCommentReader,
): Promise<{ request: CommandRequest } | { ignored: string }> {
  const { repo, pullRequest, commentId } = event;
  const comment = await gitHost.getIssueComment(repo, commentId);
  if (comment === undefined) return { ignored: `comment ${commentId} does not exist in ${repo}` };
  const on = `/repos/${repo}/issues/${pullRequest}`.toLowerCase();
  if (!comment.issueUrl.toLowerCase().endsWith(on)) {
    return { ignored: `comment ${commentId} is not on ${repo}#${pullRequest} (${comment.issueUrl})` };
  }
  const parsed = parseCommand(comment.body);
  if (parsed === undefined || isWorkflowCommand(parsed.command)) {
    return { ignored: `comment ${commentId} does not give a /pushgate command for the commands function` };
  }
  if (parsed.command !== event.command) {
    return { ignored: `comment ${commentId} gives another command than the event says` };
  }
  if (comment.login === '' || comment.login.toLowerCase() !== event.author.toLowerCase()) {
    return { ignored: `comment ${commentId} was written by ${comment.login || '(unknown)'}, not ${event.author}` };
  }
  return { request: { ...event, author: comment.login, command: parsed.command, args: parsed.args } };
}

/** `@name` in a reply would notify (or look like pushgate notifying): a zero-width space after `@` stops it. */
function neutraliseMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, '@\u200B');
}

function isName(schema: typeof ProjectName, value: string | undefined): value is string {
  return value !== undefined && schema.safeParse(value).success;
}

async function decide(request: CommandRequest, deps: RunCommandDeps): Promise<CommandResult> {
  const { command, args, author, repo, pullRequest, commentId } = request;
  const refused = (reply: string): CommandResult => ({ command, outcome: 'refused', reply });
  const known = ['approve', 'reject', 'unlock'];
  if (!known.includes(command)) {
    const intro =
      command === 'help' ? 'pushgate commands:' : 'that command is not one pushgate knows. pushgate commands:';
    return { command, outcome: 'help', reply: `${intro}\n\n${helpText()}` };
  }
  const permission = await deps.gitHost.getPermission(repo, author);
  if (!canWrite(permission)) {
    return refused(`you have ${permission} access to ${repo}: \`/pushgate ${command}\` needs write access.`);
  }

  if (command === 'unlock') {
    const [project, environment, ...rest] = args;
    if (!isName(ProjectName, project) || !isName(EnvironmentName, environment) || rest.length > 0) {
      return refused('usage: `/pushgate unlock <project> <environment>`.');
    }
    const key = { repo, project, environment };
    const reason = `unlocked from PR #${pullRequest} (comment ${commentId})`;
    // The same comment again (Lambda's retry of an event): the lock may be the next run's by now.
    const already = (await deps.store.listUnlocks(key)).find((unlock) => unlock.reason === reason);
    if (already) {
      return {
        command,
        outcome: 'done',
        reply: `this comment already unlocked ${project}/${environment} (it was held by run ${already.owner}).`,
      };
    }
    // The next run waiting for the lock is handed it and resumed at once.
    const unlocked = await unlockTarget(deps.store, key, { by: author, reason }, undefined, deps.handOver);
    if (unlocked.outcome === 'applying') {
      return refused(
        `${project}/${environment} is held by run ${unlocked.owner}, which is applying: wait for the apply to end or stop the execution.`,
      );
    }
    return unlocked.outcome === 'unlocked'
      ? {
          command,
          outcome: 'done',
          reply: `unlocked ${project}/${environment} (it was held by run ${unlocked.owner}). The next run waiting for it takes it now; the run that held it ends \`conflict\` if it still applies.`,
        }
      : refused(`${project}/${environment} is not locked.`);
  }

  let decision;
  if (command === 'approve') {
    const [project, environment, ...rest] = args;
    const usage = 'usage: `/pushgate approve [project] [environment]`.';
    if (rest.length > 0) return refused(usage);
    if (project !== undefined && !isName(ProjectName, project)) return refused(usage);
    if (environment !== undefined && !isName(EnvironmentName, environment)) return refused(usage);
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
