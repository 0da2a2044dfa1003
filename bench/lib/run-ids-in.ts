/** The runs a push started, from the hook's `pushgate: run <id> started` lines (local/git/post-receive.mjs). */
export function runIdsIn(pushOutput: string): string[] {
  return [...pushOutput.matchAll(/pushgate: run (\S+) started/g)].map((match) => match[1]!);
}
