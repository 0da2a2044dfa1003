import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PushgateError } from '../../functions/lib/errors.ts';
import { runGit } from './run-git.mjs';

export class HookInstallError extends PushgateError {}

export interface PostReceiveHookOptions {
  /** Where the push webhooks go, e.g. the local API Gateway's `/webhook`. */
  webhookUrl: string;
  secret: string;
  /** `owner/name` in the payloads. */
  repoFullName: string;
  /** Web address used in commit and compare links; default `https://github.com/<repoFullName>`. */
  htmlUrl?: string;
  /** `repository.clone_url`; default the bare repository's path. */
  cloneUrl?: string;
  /** Email → GitHub login, for the payloads' `username` and `sender`. */
  logins?: Record<string, string>;
  /** The hook's whole budget for all refs of one push; default 10 s, so a push never waits longer. */
  timeoutMs?: number;
  /**
   * The local GitHub (`startGitHub`) to tell about every pushed ref (`POST /_local/refs-updated`),
   * so that it sends `pull_request` `synchronize` for open pull requests, as GitHub does. Both or
   * neither; without them only the `push` webhook is sent.
   */
  githubUrl?: string;
  /** The local GitHub's bot token, for `githubUrl`; kept in the 0600 config file like the secret. */
  githubToken?: string;
  /** Replace a post-receive hook that pushgate did not write. */
  force?: boolean;
}

export interface InstalledHook {
  hookPath: string;
  configPath: string;
}

const MARKER = '# pushgate-local post-receive hook';
const CONFIG_FILE = 'pushgate-hook.json';
const POST_RECEIVE_PROGRAM = fileURLToPath(new URL('./post-receive.mjs', import.meta.url));

/**
 * Makes every push to `bareRepo` send a signed `push` webhook, as GitHub would. The hook is a shell
 * script that runs local/git/post-receive.mjs with this Node; the secret goes to
 * `<bareRepo>/pushgate-hook.json` (mode 0600), never into the script or onto a command line.
 */
export async function installPostReceiveHook(
  bareRepo: string,
  options: PostReceiveHookOptions,
): Promise<InstalledHook> {
  const gitDir = resolve(bareRepo);
  const hooksDir = join(gitDir, 'hooks');
  const hookPath = join(hooksDir, 'post-receive');
  const configPath = join(gitDir, CONFIG_FILE);

  const existing = await readFile(hookPath, 'utf8').catch(() => undefined);
  if (existing !== undefined && !existing.includes(MARKER) && !options.force) {
    throw new HookInstallError(`${hookPath} exists and was not written by pushgate; pass force to replace it`);
  }

  const config = {
    webhookUrl: options.webhookUrl,
    secret: options.secret,
    repoFullName: options.repoFullName,
    htmlUrl: options.htmlUrl,
    cloneUrl: options.cloneUrl ?? gitDir,
    logins: options.logins,
    timeoutMs: options.timeoutMs,
    githubUrl: options.githubUrl,
    githubToken: options.githubToken,
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(configPath, 0o600);

  const script = [
    '#!/bin/sh',
    MARKER,
    '# Tells the local pushgate about this push; never fails it (see local/git/post-receive.mjs).',
    `exec ${shellQuote(process.execPath)} ${shellQuote(POST_RECEIVE_PROGRAM)}`,
    '',
  ].join('\n');
  await mkdir(hooksDir, { recursive: true });
  await writeFile(hookPath, script, { mode: 0o755 });
  await chmod(hookPath, 0o755);
  // A global core.hooksPath would make git look elsewhere; this repository's hooks are these.
  await runGit(gitDir, ['config', '--local', 'core.hooksPath', hooksDir]);
  return { hookPath, configPath };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
