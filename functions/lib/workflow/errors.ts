import { PushgateError } from '../errors.ts';

/** The workflow engine (Step Functions) refused or failed to start an execution. */
export class WorkflowError extends PushgateError {}
