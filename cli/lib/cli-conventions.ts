import { type Command, type CommanderError, type Option } from 'commander';

/**
 * Commander ended parsing: help or the version was printed (exit 0), or the command line is wrong
 * (an unknown command or option, a missing argument or required option, an invalid value). Thrown
 * by every command's exit override so that cli/main.ts decides the exit code and the words.
 */
export class CommandLineError extends Error {
  readonly command: Command;
  readonly code: string;
  readonly exitCode: number;

  constructor(command: Command, error: CommanderError) {
    super(error.message, { cause: error });
    this.name = 'CommandLineError';
    this.command = command;
    this.code = error.code;
    this.exitCode = error.exitCode;
  }
}

/** Longest usage line before the remaining optional flags are folded into `[…]`. */
const USAGE_WIDTH = 100;

/** `pushgate approve`: the command's name with its parents'. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** `usage: pushgate status --repo <owner/name> [--env <name>] …`: what main prints after a usage error. */
export function usageLine(command: Command): string {
  return `usage: ${commandPath(command)} ${command.usage()}`.trimEnd();
}

/** `--repo <owner/name>` of `--repo, -r <owner/name>`-style flags: the long name and its value. */
function optionTerm(option: Option): string {
  const long = option.long ?? option.short ?? option.flags;
  const at = option.flags.indexOf(long);
  return `${long}${at === -1 ? '' : option.flags.slice(at + long.length)}`;
}

/**
 * The usage of a command from its arguments and options, required ones first, the optional ones in
 * brackets, as many as fit in one line: `--repo <owner/name> [--env <name>] [--json] […]`.
 */
export function usageOf(command: Command): string {
  if (command.commands.length > 0) return '<command> [options]';
  const args = command.registeredArguments.map((argument) => {
    const name = `${argument.name()}${argument.variadic ? '...' : ''}`;
    return argument.required ? `<${name}>` : `[${name}]`;
  });
  const options = command.options.filter(
    (option) => !option.hidden && option.long !== '--help' && option.long !== '--version',
  );
  const required = options.filter((option) => option.mandatory).map(optionTerm);
  const optional = options.filter((option) => !option.mandatory).map((option) => `[${optionTerm(option)}]`);
  const parts = [...args, ...required];
  const prefix = commandPath(command).length + 'usage: '.length;
  for (const [index, term] of optional.entries()) {
    const rest = optional.length - index - 1;
    const length = prefix + [...parts, term].join(' ').length + (rest > 0 ? ' […]'.length : 0);
    if (length > USAGE_WIDTH) {
      parts.push('[…]');
      break;
    }
    parts.push(term);
  }
  return parts.join(' ');
}

/**
 * The rules every `pushgate` command follows, applied to a command and all its subcommands (commander
 * copies no settings to commands added with addCommand): parsing ends by throwing CommandLineError
 * instead of exiting; commander prints help but not errors (main prints them with the usage line); the
 * usage line lists the command's flags.
 */
export function applyConventions(command: Command): Command {
  command.exitOverride((error) => {
    throw new CommandLineError(command, error);
  });
  command.configureOutput({ outputError: () => undefined });
  command.usage(usageOf(command));
  for (const subcommand of command.commands) applyConventions(subcommand);
  return command;
}
