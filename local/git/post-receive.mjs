// The program behind a bare repository's post-receive hook (installed by install-hook.ts). Plain
// JavaScript so it runs with bare `node`. For each `<old> <new> <ref>` line git gives on stdin, it
// sends a signed GitHub `push` webhook and prints the answer, which git shows the pusher as
// `remote: …`. It never fails the push and gives up after 10 s in total.
// https://git-scm.com/docs/githooks#post-receive
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildPushPayload } from './build-push-payload.mjs';
import { sendWebhook } from './send-webhook.mjs';

/** Written by install-hook.ts next to the repository's config, mode 0600: the secret never goes on a command line. */
const CONFIG_FILE = 'pushgate-hook.json';
const DEFAULT_TIMEOUT_MS = 10_000;

const lines = [];
const say = (line) => lines.push(line);

try {
  await main();
} catch (error) {
  say(`pushgate: the hook failed, the push itself is fine: ${reasonOf(error)}`);
}
process.stdout.write(lines.map((line) => `${line}\n`).join(''), () => process.exit(0));

async function main() {
  // git runs the hook in the repository with GIT_DIR set (`.` for a bare repository).
  const gitDir = resolve(process.env.GIT_DIR ?? '.');
  const config = JSON.parse(await readFile(join(gitDir, CONFIG_FILE), 'utf8'));
  const deadline = Date.now() + (config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const updates = (await readStdin())
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 3);

  for (const [before, after, ref] of updates) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      say(`pushgate: ${ref}: not sent, the hook ran out of time`);
      continue;
    }
    try {
      const payload = await buildPushPayload({
        bareRepo: gitDir,
        repoFullName: config.repoFullName,
        ref,
        before,
        after,
        htmlUrl: config.htmlUrl,
        cloneUrl: config.cloneUrl ?? gitDir,
        logins: config.logins,
      });
      const answer = await sendWebhook({
        url: config.webhookUrl,
        secret: config.secret,
        event: 'push',
        payload,
        signal: AbortSignal.timeout(remaining),
      });
      say(describeAnswer(ref, answer));
    } catch (error) {
      say(`pushgate: ${ref}: could not notify ${config.webhookUrl}: ${reasonOf(error)}`);
    }
  }
  if (config.githubUrl && config.githubToken) await tellGitHub(config, updates, deadline);
}

/**
 * After the push webhooks, as GitHub orders them: tells the local GitHub which branches moved, so it
 * sends `pull_request` `synchronize` for their open pull requests; prints how each was answered.
 */
async function tellGitHub(config, updates, deadline) {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return say('pushgate: pull requests not updated, the hook ran out of time');
  try {
    const response = await fetch(`${config.githubUrl.replace(/\/+$/, '')}/_local/refs-updated`, {
      method: 'POST',
      headers: { authorization: `token ${config.githubToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        repo: config.repoFullName,
        updates: updates.map(([before, after, ref]) => ({ ref, before, after })),
      }),
      signal: AbortSignal.timeout(remaining),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      return say(`pushgate: the local GitHub answered ${response.status}: ${answer.message ?? 'no reason given'}`);
    }
    for (const delivery of answer.deliveries ?? []) {
      const label = `pull request #${delivery.number} ${delivery.action}`;
      if (delivery.error) say(`pushgate: ${label}: could not notify ${config.webhookUrl}: ${delivery.error}`);
      else say(describeAnswer(label, delivery));
    }
  } catch (error) {
    say(`pushgate: could not tell ${config.githubUrl} about the push: ${reasonOf(error)}`);
  }
}

/** One line for the pusher: the run and where to watch it, why it was ignored, or why it failed. */
function describeAnswer(ref, { status, body }) {
  const answer = typeof body === 'object' && body !== null ? body : {};
  if (status >= 200 && status < 300) {
    if (answer.runId) return `pushgate: run ${answer.runId} started${followUp(answer.consoleUrl)}`;
    const ignored =
      typeof answer.ignored === 'string'
        ? answer.ignored
        : answer.ignored
          ? (answer.reason ?? 'no reason given')
          : undefined;
    if (ignored !== undefined) return `pushgate: ${ref}: ignored: ${ignored}`;
    return `pushgate: ${ref}: accepted (${status})`;
  }
  const reason = answer.message ?? answer.error ?? (typeof body === 'string' && body !== '' ? body : 'no reason given');
  return `pushgate: ${ref}: the webhook answered ${status}: ${reason}`;
}

/**
 * Where to watch the run: a console link on AWS. The local stack has no console, so its answer names
 * the command that shows the run instead (functions/lib/console-url.ts), to run in another shell.
 */
function followUp(link) {
  if (typeof link !== 'string' || link === '') return '';
  return /^https?:\/\//.test(link) ? `: ${link}` : `; see it with: ${link}`;
}

function reasonOf(error) {
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') return 'timed out';
  const cause = error?.cause?.code ?? error?.cause?.message;
  return cause ? `${error.message} (${cause})` : String(error?.message ?? error);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
