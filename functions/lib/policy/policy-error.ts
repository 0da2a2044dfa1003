import { PushgateError } from '../errors.ts';

/**
 * The platform policy is missing, unreadable or wrong, or does not give a deploying environment what
 * it needs (an apply role). Its message names the setting to fix; the workflow does not retry it.
 */
export class PolicyError extends PushgateError {}
