/**
 * One bash word that stands for `value` literally: single quotes, each embedded quote closed,
 * escaped and reopened. Nothing inside single quotes is expanded.
 * https://www.gnu.org/software/bash/manual/html_node/Single-Quotes.html
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
