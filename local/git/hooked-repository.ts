import { join } from 'node:path';
import type { LocalStack } from '../stack.ts';
import { installPostReceiveHook } from './install-hook.ts';
import { createLocalRepository, type LocalRepository } from './local-repository.ts';

/** The runs a push started, from the hook's `pushgate: run <id> started` lines (post-receive.mjs). */
export function runIdsIn(pushOutput: string): string[] {
  return [...pushOutput.matchAll(/pushgate: run (\S+) started/g)].map((match) => match[1]!);
}

/**
 * A repository `fullName` under `root/repos/<name>`: served by the stack's local GitHub, cloned by
 * its CodeBuild, and with a post-receive hook that sends every push to its webhook, as GitHub would.
 */
export async function createHookedRepository(
  stack: LocalStack,
  root: string,
  fullName: string,
): Promise<LocalRepository> {
  const repo = await createLocalRepository(join(root, 'repos', fullName.split('/')[1] ?? fullName));
  stack.addRepository(fullName, repo.bare);
  await installPostReceiveHook(repo.bare, {
    webhookUrl: stack.webhookUrl,
    secret: stack.secret,
    repoFullName: fullName,
  });
  return repo;
}
