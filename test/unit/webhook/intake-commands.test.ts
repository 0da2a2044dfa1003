import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandRequest } from '../../../functions/lib/commands/command-request.ts';
import { createIntake } from '../../../functions/lib/webhook/intake.ts';
import type { IntakeOptions } from '../../../functions/lib/webhook/intake.ts';
import type { IntakeRequest } from '../../../functions/lib/webhook/types.ts';
import { githubExample } from '../../helpers/github-examples.ts';
import { createMemoryStore, type MemoryStore } from '../../helpers/memory-store.ts';
import { createMemoryWorkflow, type MemoryWorkflow } from '../../helpers/memory-workflow.ts';
import { sign } from '../../helpers/sign.ts';

const SECRET = 'commands-secret';
const NOW = new Date('2025-03-01T12:00:00.000Z');

let store: MemoryStore;
let workflow: MemoryWorkflow;
let invoked: CommandRequest[];
let ids: number;

function comment(body: string, deliveryId = randomUUID()): IntakeRequest {
  const payload = githubExample('issue_comment', (p) => p.action === 'created');
  payload.issue.pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' };
  payload.comment.body = body;
  const text = JSON.stringify(payload);
  return {
    method: 'POST',
    path: '/webhook',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': sign(SECRET, text),
    },
    body: text,
    isBase64Encoded: false,
  };
}

function intake(overrides: Partial<IntakeOptions> = {}) {
  return createIntake({
    store,
    workflow,
    secrets: [SECRET],
    allowedRepos: ['codertocat/*'],
    logger: { warn: () => undefined, error: () => undefined },
    commands: { invoke: async (request) => void invoked.push(request) },
    now: () => NOW,
    newRunId: () => `01JCMD${String(++ids).padStart(20, '0')}`,
    ...overrides,
  });
}

beforeEach(() => {
  store = createMemoryStore();
  workflow = createMemoryWorkflow();
  invoked = [];
  ids = 0;
});

describe('intake: comment commands', () => {
  it('hands /pushgate approve to the commands function and answers 202 without starting a run', async () => {
    const response = await intake()(comment('/pushgate approve net prod'));
    expect(response).toMatchObject({
      statusCode: 202,
      body: { command: 'approve', accepted: true },
      outcome: 'command',
    });
    expect(invoked).toEqual([
      expect.objectContaining({ command: 'approve', args: ['net', 'prod'], pullRequest: 1, author: 'Codertocat' }),
    ]);
    expect(workflow.started.size).toBe(0);
    expect(store.runs.size).toBe(0);
  });

  it('does not invoke twice for a redelivered comment', async () => {
    const deliveryId = randomUUID();
    const handler = intake();
    expect((await handler(comment('/pushgate unlock net prod', deliveryId))).statusCode).toBe(202);
    const again = await handler(comment('/pushgate unlock net prod', deliveryId));
    expect(again).toMatchObject({ statusCode: 200, body: { duplicate: true, command: 'unlock' } });
    expect(invoked).toHaveLength(1);
  });

  it('does not invoke for a forged comment', async () => {
    const request = comment('/pushgate approve');
    request.headers['x-hub-signature-256'] = sign('wrong', request.body);
    expect((await intake()(request)).statusCode).toBe(401);
    expect(invoked).toEqual([]);
  });

  it('answers 503 and forgets the delivery when the invoke fails, so a redelivery retries', async () => {
    const deliveryId = randomUUID();
    const failing = intake({
      commands: {
        invoke: async () => {
          throw new Error('throttled');
        },
      },
    });
    expect((await failing(comment('/pushgate help', deliveryId))).statusCode).toBe(503);
    expect(store.deliveries.has(deliveryId)).toBe(false);
    expect((await intake()(comment('/pushgate help', deliveryId))).statusCode).toBe(202);
    expect(invoked).toHaveLength(1);
  });

  it('ignores commands with a reason when no commands function is configured', async () => {
    const response = await intake({ commands: undefined })(comment('/pushgate approve'));
    expect(response).toMatchObject({
      statusCode: 202,
      body: { ignored: '/pushgate approve is not available: the commands function is not configured' },
    });
  });

  it('still starts a workflow run for /pushgate plan', async () => {
    const response = await intake()(comment('/pushgate plan'));
    expect(response.outcome).toBe('started');
    expect(invoked).toEqual([]);
  });
});
