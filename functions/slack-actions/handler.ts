import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { approvalGitHost } from '../lib/approval/approval-git-host.ts';
import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { readPolicy } from '../lib/policy/read-policy.ts';
import { createSfnTaskResumer } from '../lib/runtime/clients/sfn-task-resumer.ts';
import { functionLogger } from '../lib/runtime/logger.ts';
import { stepHandler, type StepObservability } from '../lib/runtime/step-handler.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { getConfiguredSecret } from '../lib/secrets.ts';
import { handleSlackAction, type SlackActionsDeps } from '../lib/slack-actions/handle-slack-action.ts';
import { originOf } from '../lib/slack-actions/post-response.ts';

/** The fields of an API Gateway HTTP API (payload format 2.0) event the endpoint reads. */
const HttpApiEvent = z.object({
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
});

export type SlackActionsHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export type SlackActionsHandlerDeps = SlackActionsDeps & { logger: Logger };

const defaultDeps = (): SlackActionsHandlerDeps => ({
  store: runtimeStore(),
  // The Git host is only needed once a signed request asks for a decision.
  gitHost: lazyGitHost(),
  tasks: createSfnTaskResumer(),
  policy: async () => (await readPolicy()).policy,
  signingSecret: () =>
    getConfiguredSecret({ valueEnv: 'SLACK_SIGNING_SECRET', parameterEnv: 'SLACK_SIGNING_SECRET_PARAMETER' }),
  ...(process.env.SLACK_SIGNING_SECRET_PARAMETER
    ? { signingSecretParameter: process.env.SLACK_SIGNING_SECRET_PARAMETER }
    : {}),
  // Decisions are answered at the payload's response_url: Slack's hooks, or the local Slack's origin.
  responseUrl: { allowedOrigins: [originOf(process.env.SLACK_API_URL)].filter((o): o is string => o !== undefined) },
  logger: functionLogger('slack-actions'),
});

function lazyGitHost(): SlackActionsDeps['gitHost'] {
  let host: Awaited<ReturnType<typeof gitHubFromEnv>> | undefined;
  const get = async () => (host ??= approvalGitHost(await gitHubFromEnv()));
  return {
    getPullRequest: async (repo, number) => (await get()).getPullRequest(repo, number),
    resolveRef: async (repo, ref) => (await get()).resolveRef?.(repo, ref),
    pullRequestAuthorsOf: async (repo, sha) => (await get()).pullRequestAuthorsOf(repo, sha),
    isTeamMember: async (org, team, login) => (await (await get()).isTeamMember?.(org, team, login)) ?? false,
  };
}

/** POST /slack/actions (HTTP API): Slack's interactivity Request URL. */
export function createHandler(
  deps: () => SlackActionsHandlerDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
): SlackActionsHandler {
  let resolved: SlackActionsHandlerDeps | undefined;
  return stepHandler<APIGatewayProxyStructuredResultV2>(
    'slack-actions',
    async (event, step) => {
      resolved ??= deps();
      const { logger } = resolved;
      const parsed = HttpApiEvent.safeParse(event);
      if (!parsed.success) return json(400, { error: 'not an API Gateway HTTP API (v2) event' });
      const { headers, body, isBase64Encoded, requestContext } = parsed.data;
      const response = await handleSlackAction(
        {
          method: requestContext.http.method,
          path: '/slack/actions',
          headers: headers ?? {},
          body: body ?? '',
          isBase64Encoded: isBase64Encoded ?? false,
        },
        { metrics: step.metrics, ...resolved },
      );
      if (response.error !== undefined) {
        const what = response.outcome === 'unauthorized' ? 'not verified' : 'could not decide';
        logger.error(`slack action: ${what}`, { statusCode: response.statusCode, error: response.error });
      } else {
        logger.info('slack action', { statusCode: response.statusCode, outcome: response.outcome });
      }
      if (response.reply?.status === 'failed') {
        logger.error('slack action: the reply did not reach the response_url', { reply: response.reply });
      } else if (response.reply?.status === 'skipped') {
        logger.warn('slack action: the reply was not posted to the response_url', { reply: response.reply });
      }
      return json(response.statusCode, response.body);
    },
    // Its own lines say how each request ended; nothing here is thrown on purpose.
    observability,
  );
}

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const handler = createHandler();
