import { PushgateError } from '../errors.ts';
import { formatProblem, type ConfigProblem } from './config-problem.ts';

/** More than this and the rest is counted, not listed: the message goes to Slack and the run record. */
const MAX_LISTED = 50;

/**
 * `pushgate.yml` is missing or wrong. Its message is what users read (Slack, the run record, the
 * Step Functions console), so it lists every problem, one per line. The workflow matches the name
 * (WorkflowErrors.InvalidConfig) and does not retry it.
 */
export class InvalidConfigError extends PushgateError {
  readonly problems: readonly ConfigProblem[];

  constructor(message: string, problems: readonly ConfigProblem[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.problems = problems;
  }

  /** `where` names the file for the reader, e.g. `pushgate.yml at 1a2b3c4`. */
  static fromProblems(problems: readonly ConfigProblem[], where = 'pushgate.yml'): InvalidConfigError {
    const listed = problems.slice(0, MAX_LISTED).map(formatProblem);
    if (problems.length > MAX_LISTED) listed.push(`… and ${problems.length - MAX_LISTED} more`);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    return new InvalidConfigError([`${where} has ${count}:`, ...listed].join('\n'), problems);
  }
}
