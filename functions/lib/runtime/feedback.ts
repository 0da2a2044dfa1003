import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { runLink } from '../console-url.ts';
import { createRunFeedback, PLAN_TEXT_BYTES, type RunFeedback, type SlackFeedback } from '../feedback/run-feedback.ts';
import { appFromEnv, gitHubFromEnv } from '../git/github-from-env.ts';
import { createSlackBotNotifier } from '../notify/slack-bot-notifier.ts';
import { createSlackNotifier } from '../notify/slack-notifier.ts';
import { planTextOf, readPlanText, type GetObjectBytes } from '../plan/plan-text.ts';
import { readEnv } from '../read-env.ts';
import { createGitHubReporter } from '../report/github-reporter.ts';
import { getConfiguredSecret, isLocalMode } from '../secrets.ts';
import { s3Client } from './clients/s3.ts';
import { runtimeStore } from './store.ts';
import type { TargetRecord } from '../store/types.ts';

/**
 * `SLACK_CHANNELS`: `{ "default": "C…", "<environment>": "C…" }`, channel ids (chat.update needs ids).
 * An empty value is a channel not set: without a default the bot posts nothing.
 */
const SlackChannels = z.record(z.string(), z.string());

export interface FeedbackLogger {
  warn(message: string, extra: Record<string, unknown>): void;
}

/**
 * Where a run's feedback goes, as the function's environment says (read per invocation: a rotated
 * token is used at once):
 * - GitHub: the git host's identity (token or App, functions/lib/git/github-from-env.ts);
 * - Slack: a bot (`SLACK_BOT_TOKEN_PARAMETER`, locally `SLACK_BOT_TOKEN`, with `SLACK_CHANNELS`)
 *   whose one message per run is updated as the run moves, else an incoming webhook
 *   (`SLACK_WEBHOOK_URL_PARAMETER`, locally `SLACK_WEBHOOK_URL`) told at the approval and the end;
 * - plan texts: `<artifact prefix>/plan.txt` in `ARTIFACT_BUCKET`, when the function has it.
 * A channel that cannot be configured (a missing parameter) is left out and logged, never fatal.
 */
export interface ConfiguredFeedback extends RunFeedback {
  /** Channels left out, with why (recorded on the run by Notify). */
  unconfigured: Record<string, string>;
}

export async function runtimeFeedback(logger: FeedbackLogger): Promise<ConfiguredFeedback> {
  const unconfigured: Record<string, string> = {};
  const store = runtimeStore();
  const env = readEnv({
    SLACK_CHANNELS: z.string().optional(),
    SLACK_API_URL: z.url().optional(),
    ARTIFACT_BUCKET: z.string().optional(),
    GITHUB_WEB_URL: z.url().optional(),
  });

  let github;
  try {
    // Without an identity GitHub would only answer reads of public repositories: no feedback then.
    const identity =
      (await appFromEnv()) ??
      (await getConfiguredSecret({ valueEnv: 'GITHUB_TOKEN', parameterEnv: 'GITHUB_TOKEN_PARAMETER' }));
    if (!identity) throw new Error('not configured (neither GITHUB_APP_SECRET nor GITHUB_TOKEN_PARAMETER is set)');
    const host = await gitHubFromEnv();
    github = createGitHubReporter({
      statuses: host,
      comments: host,
      commitComments: host,
      getPullRequest: (repo, number) => host.getPullRequest(repo, number),
      issues: host,
    });
  } catch (error) {
    unconfigured.github = describe(error);
    logger.warn('GitHub feedback is off', { error: describe(error) });
  }

  let slack: SlackFeedback | undefined;
  try {
    // Both optional: an operator sets up either the app (bot token) or an incoming webhook.
    const token = await getConfiguredSecret({
      valueEnv: 'SLACK_BOT_TOKEN',
      parameterEnv: 'SLACK_BOT_TOKEN_PARAMETER',
      optional: true,
    });
    const channels = Object.fromEntries(Object.entries(readChannels(env.SLACK_CHANNELS)).filter(([, id]) => id !== ''));
    const { default: fallback, ...byEnvironment } = channels;
    if (token && fallback) {
      slack = createSlackBotNotifier({
        token,
        channels: { default: fallback, byEnvironment },
        store,
        ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
        logger,
      });
    } else {
      if (token) {
        logger.warn(
          'a Slack bot token is set but no default channel: deploy with --param=\'slackChannels={"default":"C…"}\'',
          {},
        );
      }
      const webhookUrl = await getConfiguredSecret({
        valueEnv: 'SLACK_WEBHOOK_URL',
        parameterEnv: 'SLACK_WEBHOOK_URL_PARAMETER',
        optional: true,
      });
      if (webhookUrl) slack = createSlackNotifier({ webhookUrl });
      else
        unconfigured.slack = token
          ? 'not configured: a bot token but no channel (slackChannels) and no incoming webhook'
          : 'not configured (neither SLACK_BOT_TOKEN_PARAMETER nor SLACK_WEBHOOK_URL_PARAMETER names a parameter that exists)';
    }
  } catch (error) {
    unconfigured.slack = describe(error);
    logger.warn('Slack feedback is off', { error: describe(error) });
  }

  const bucket = env.ARTIFACT_BUCKET;
  const planText = bucket
    ? async (target: TargetRecord) => {
        // The artifact prefix of a target (TargetSpec.artifactPrefix, decide-targets.ts).
        const prefix = `runs/${target.runId}/${target.project}/${target.environment}`;
        const getObject: GetObjectBytes = async (objectKey) => {
          try {
            const object = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
            return object.Body ? await object.Body.transformToByteArray() : undefined;
          } catch (error) {
            if (error instanceof NoSuchKey) return undefined;
            throw error;
          }
        };
        // Only bytes the plan build uploaded (their sha256 recorded by Summarize) reach an approver.
        if (target.planTextSha256) {
          const text = await readPlanText(getObject, `${prefix}/plan.txt`, PLAN_TEXT_BYTES, {
            expectedSha256: target.planTextSha256,
          });
          if (text) return text.text;
        }
        // CloudFormation has no text tool: its change set (plan.json) is rendered instead.
        if (!target.planJsonSha256) return undefined;
        const json = await readPlanText(getObject, `${prefix}/plan.json`, 4 * PLAN_TEXT_BYTES, {
          expectedSha256: target.planJsonSha256,
        });
        return json && !json.truncated ? planTextOf({ planJson: json.text }) : undefined;
      }
    : undefined;

  const feedback = createRunFeedback({
    store,
    github,
    slack,
    planText,
    // Every run is created with its execution's ARN (the webhook names executions deterministically).
    link: (run) => runLink({ runId: run.runId, executionArn: run.executionArn ?? '' }),
    webUrl: env.GITHUB_WEB_URL ?? (isLocalMode() ? undefined : 'https://github.com'),
    logger,
  });
  return Object.assign(feedback, { unconfigured });
}

function readChannels(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error('SLACK_CHANNELS is not JSON: deploy with --param=\'slackChannels={"default":"C…"}\'', {
      cause: error,
    });
  }
  const parsed = SlackChannels.safeParse(json);
  if (!parsed.success) throw new Error('SLACK_CHANNELS must map names to Slack channel ids: {"default":"C…"}');
  return parsed.data;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
