import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { commands } from './commands/index.ts';
import { applyConventions, CommandLineError, commandPath, usageLine } from './lib/cli-conventions.ts';
import { CliUsageError } from './lib/cli-usage-error.ts';
import { describeFailure } from './lib/describe-failure.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './lib/exit-codes.ts';

/** The `pushgate` program with every command of cli/commands/index.ts, each following cli-conventions.ts. */
export function createProgram(): Command {
  const program = new Command('pushgate')
    .description('GitOps for AWS: what is deployed where, what a plan changes, and the whole stack on this machine')
    .version(packageJson.version)
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 a run or a check failed (or AWS / GitHub did), 2 a usage error.
--repo defaults to $PUSHGATE_REPO; read commands print JSON with --json.`,
    );
  for (const createCommand of commands) program.addCommand(createCommand());
  return applyConventions(program);
}

/** What main writes on stderr for an error, and the exit code. */
export interface ErrorReport {
  exitCode: number;
  stderr: string;
}

/** Commander's message on one line, without its `error: ` (the line starts with the command instead). */
const withoutPrefix = (message: string) => message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');

/**
 * The exit code and the words for whatever ended a command: help and the version exit 0; a wrong
 * command line (commander's or a command's CliUsageError) exits 2 with the usage line; any other
 * failure exits 1 with one line that says what to do next, never a stack trace.
 */
export function reportError(error: unknown, active: Command, program: Command): ErrorReport {
  if (error instanceof CommandLineError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
      return { exitCode: EXIT_OK, stderr: '' };
    }
    // `pushgate` (or `pushgate help <x>`) alone: help was printed, on stderr when it is an error.
    if (error.code === 'commander.help') return { exitCode: error.exitCode === 0 ? EXIT_OK : EXIT_USAGE, stderr: '' };
    const name = commandPath(error.command);
    if (error.code === 'commander.unknownCommand') {
      const names = error.command.commands.map((command) => command.name());
      return {
        exitCode: EXIT_USAGE,
        stderr: `${name}: ${withoutPrefix(error.message)}\ncommands: ${names.join(', ')}\n${usageLine(error.command)}\n`,
      };
    }
    let message = withoutPrefix(error.message);
    if (error.code === 'commander.missingMandatoryOptionValue') {
      const option = error.command.options.find((each) => error.message.includes(`'${each.flags}'`));
      if (option?.envVar) message += ` (pass ${option.long ?? option.flags} or set ${option.envVar})`;
    }
    return { exitCode: EXIT_USAGE, stderr: `${name}: ${message}\n${usageLine(error.command)}\n` };
  }
  const name = commandPath(active);
  if (error instanceof CliUsageError) {
    const usage = active === program ? '' : `${usageLine(active)}\n`;
    return { exitCode: EXIT_USAGE, stderr: `${name}: ${error.message}\n${usage}` };
  }
  return { exitCode: EXIT_FAILED, stderr: `${name}: ${describeFailure(error)}\n` };
}

/** Runs the program and sets the exit code (cli-conventions.ts, reportError). */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = createProgram();
  let active: Command = program;
  program.hook('preAction', (_program, actionCommand) => {
    active = actionCommand;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const report = reportError(error, active, program);
    if (report.stderr) process.stderr.write(report.stderr);
    process.exitCode = report.exitCode;
  }
}
