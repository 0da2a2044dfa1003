import { PushgateError } from '../../functions/lib/errors.ts';

/**
 * The command was called wrongly or lacks a setting it needs (a flag, an environment variable, a
 * file, an id that exists): `pushgate` prints the message with the command's usage line and exits 2.
 * Its own module so that cli/main.ts can recognise it without loading the AWS SDK.
 */
export class CliUsageError extends PushgateError {}
