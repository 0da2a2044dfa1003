/** The commands a pull request comment can give, one line each: the answer to `help` and to anything unknown. */
export function helpText(): string {
  return [
    '`/pushgate plan`: plan this pull request again',
    '`/pushgate apply`: deploy this pull request before the merge (when its base branch allows applyBeforeMerge)',
    '`/pushgate approve [project] [environment]`: approve what waits for approval on this pull request',
    '`/pushgate reject <reason>`: reject what waits for approval on this pull request',
    '`/pushgate unlock <project> <environment>`: release a lock whoever holds it',
    '`/pushgate help`: this list',
  ].join('\n');
}
