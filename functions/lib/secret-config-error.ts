import { PushgateError } from './errors.ts';

/** A secret named by configuration could not be read (or may not be read from where it is). */
export class SecretConfigError extends PushgateError {}
