import { stripVTControlCharacters } from 'node:util';

/** C0 controls but tab, DEL, and the C1 controls (which some terminals act on as escape sequences). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * A line of someone else's output (a build log) made safe to print to a terminal: ANSI escape
 * sequences (Node's `stripVTControlCharacters`) and every other control character are removed, so a
 * build cannot move the cursor, rewrite what was printed before (a carriage return over a warning),
 * retitle the window or smuggle OSC 8 links. Tabs stay. `--json` keeps the text as it was.
 */
export function terminalSafe(line: string): string {
  return stripVTControlCharacters(line).replace(CONTROL, '');
}
