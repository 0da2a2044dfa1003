export interface PushgateCommand {
  /** Lower-cased: `plan`, `apply`, `approve`, … */
  command: string;
  args: string[];
}

const PREFIX = '/pushgate';

/**
 * Reads a `/pushgate <command> [args…]` comment: the command is the first line, as in Atlantis'
 * comment parser (https://www.runatlantis.io/docs/using-atlantis). Anything else is not for us.
 * Which commands exist, and who may use them, is Validate's decision.
 */
export function parseCommand(body: string | null | undefined): PushgateCommand | undefined {
  if (!body) return undefined;
  const text = body.trimStart();
  if (!text.startsWith(PREFIX)) return undefined;
  const newline = text.search(/\r?\n/);
  const words = (newline === -1 ? text : text.slice(0, newline)).trim().split(/\s+/);
  if (words[0] !== PREFIX || words.length < 2) return undefined;
  return { command: words[1]!.toLowerCase(), args: words.slice(2) };
}
