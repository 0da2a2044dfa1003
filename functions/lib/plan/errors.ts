import { PushgateError } from '../errors.ts';

/** Base of the plan module's errors. */
export class PlanError extends PushgateError {}

/**
 * The document is not a plan pushgate can read (not JSON, not one of the three formats, or a plan
 * the engine itself marked as unusable). The message is one line, fit to show a person.
 */
export class PlanFormatError extends PlanError {}

/** The plan build did not leave the artifact Summarize needs in the artifact bucket. */
export class PlanArtifactMissingError extends PlanError {}

/**
 * An artifact in the bucket is not the one its plan build uploaded (its sha256 differs from the one
 * the build exported): something else wrote it since, so it must be neither reviewed nor applied.
 * The workflow matches this name (WorkflowErrors.PlanIntegrity).
 */
export class PlanIntegrityError extends PlanError {}
