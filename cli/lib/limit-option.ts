import { InvalidArgumentError } from 'commander';

/** `--limit <n>`: a whole number from 1 to 1000. */
export function limitValue(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000)
    throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return parsed;
}
