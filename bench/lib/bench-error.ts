import { PushgateError } from '../../functions/lib/errors.ts';

/** A benchmark could not take its measurement (a run failed, a child process died, a timeout). */
export class BenchError extends PushgateError {}
