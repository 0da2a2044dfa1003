import { readFile } from 'node:fs/promises';
import { PushgateError } from '../../../functions/lib/errors.ts';

/** A setup option that cannot be acted on (exit code 2). */
export class SetupUsageError extends PushgateError {}

export interface SecretSource {
  /** What it is, for messages: `the GitHub token`. */
  label: string;
  /** `--github-token-file`'s value: a path, or `-` for standard input. */
  file?: string | undefined;
  /** The environment variable that may hold it instead. */
  env?: string;
}

/**
 * A secret from a file (`-`: standard input) or an environment variable, never from a flag's value
 * (which would land in the shell's history and in `ps`). The file wins; a trailing newline is
 * dropped. Undefined when neither is given.
 */
export async function readSecretInput(
  source: SecretSource,
  env: NodeJS.ProcessEnv = process.env,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string | undefined> {
  let text: string | undefined;
  if (source.file !== undefined) {
    try {
      text = source.file === '-' ? await readAll(stdin) : await readFile(source.file, 'utf8');
    } catch (error) {
      throw new SetupUsageError(`could not read ${source.label} from ${source.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (text.trim() === '') throw new SetupUsageError(`${source.label} in ${source.file} is empty`);
  } else {
    text = source.env === undefined ? undefined : env[source.env];
    if (text === undefined || text.trim() === '') return undefined;
  }
  return text.replace(/\r?\n$/, '');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
