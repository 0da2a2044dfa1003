import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler, type SlackActionsHandlerDeps } from '../../../functions/slack-actions/handler.ts';
import { gitHost, memoryApprovalStore, recordingResumer, run, T0, target } from '../approval/approval-doubles.ts';

function recordingLogger() {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: unknown): void => {
      lines.push({ level, message, fields });
    };
  const logger = { error: at('error'), warn: at('warn'), info: at('info'), addContext: () => {} };
  return { lines, logger: logger as unknown as Logger };
}

const event = {
  headers: { 'x-slack-signature': 'v0=' + '0'.repeat(64), 'x-slack-request-timestamp': String(T0.getTime() / 1000) },
  body: 'payload=%7B%7D',
  isBase64Encoded: false,
  requestContext: { http: { method: 'POST' } },
} as unknown as APIGatewayProxyEventV2;

describe('slack-actions handler: no signing secret', () => {
  it.each([
    ['not configured', async () => undefined],
    [
      'its parameter missing',
      async () => {
        throw Object.assign(new Error('Parameter /pushgate/prod/slack-signing-secret not found'), {
          name: 'ParameterNotFound',
        });
      },
    ],
  ])('%s: 401, and an error log naming the parameter to create', async (_name, signingSecret) => {
    const { lines, logger } = recordingLogger();
    const resumer = recordingResumer();
    const deps: SlackActionsHandlerDeps = {
      store: memoryApprovalStore([run()], [target()]),
      gitHost: gitHost({}),
      tasks: resumer,
      policy: async () => ({ slackUsers: {} }),
      signingSecret,
      signingSecretParameter: '/pushgate/prod/slack-signing-secret',
      now: () => T0,
      logger,
    };
    const response = await createHandler(() => deps)(event);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(String(response.body))).toEqual({ error: 'not verified: pushgate has no Slack signing secret' });
    const errors = lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(String((errors[0]!.fields as { error: unknown }).error)).toContain(
      'create the SSM SecureString parameter /pushgate/prod/slack-signing-secret',
    );
    expect(resumer.calls).toEqual([]);
  });
});
