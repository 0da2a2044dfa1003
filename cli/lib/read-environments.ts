import { readFile } from 'node:fs/promises';
import { parseConfig } from '../../functions/lib/config/parse-config.ts';
import { CliUsageError } from './cli-usage-error.ts';

/** Environments to show: `--env` when given, else every environment of ./pushgate.yml, in its order. */
export async function readEnvironments(env: string[] | undefined, configPath = 'pushgate.yml'): Promise<string[]> {
  if (env && env.length > 0) return env;
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch {
    throw new CliUsageError(`no ${configPath} here: run this in your infrastructure repository, or pass --env`);
  }
  const parsed = parseConfig(text);
  if (!parsed.ok) {
    throw new CliUsageError(
      `${configPath} is invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
  return Object.keys(parsed.config.environments);
}
