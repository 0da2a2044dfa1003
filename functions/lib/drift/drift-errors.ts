import { PushgateError } from '../errors.ts';

/** The drift function was invoked with something that is neither the schedule's nor the CLI's request. */
export class InvalidDriftRequestError extends PushgateError {}
