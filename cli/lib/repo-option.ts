import { InvalidArgumentError, Option } from 'commander';

/** `owner/name`, as GitHub spells a repository. */
export function repoName(value: string): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)) throw new InvalidArgumentError('expected owner/name');
  return value;
}

/**
 * `--repo <owner/name>`, read from `$PUSHGATE_REPO` when the flag is not given (`pushgate dev`
 * prints the export), which the help says. Required: missing both is a usage error naming both.
 */
export function repoOption(
  description = 'the infrastructure repository',
  { required = true }: { required?: boolean } = {},
): Option {
  const option = new Option('--repo <owner/name>', description).env('PUSHGATE_REPO').argParser(repoName);
  return required ? option.makeOptionMandatory() : option;
}
