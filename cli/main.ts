import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { commands } from './commands/index.ts';

/** The `pushgate` program with every command of cli/commands/index.ts. */
export function createProgram(): Command {
  const program = new Command('pushgate')
    .description('GitOps for AWS: what is deployed where, what a plan changes, and the whole stack on this machine')
    .version(packageJson.version);
  for (const createCommand of commands) program.addCommand(createCommand());
  return program;
}

/** Runs the program; an error a command did not handle is one line on stderr and exit code 1, never a stack trace. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`pushgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
