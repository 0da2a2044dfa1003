import { PushgateError } from '../errors.ts';

/** A comment command's pull request has no head commit to run (closed and deleted, or never existed). */
export class UnresolvedCommitError extends PushgateError {}
