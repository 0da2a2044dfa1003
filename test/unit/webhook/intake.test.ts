import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { createIntake } from '../../../functions/lib/webhook/intake.ts';
import type { IntakeLogger, IntakeOptions } from '../../../functions/lib/webhook/intake.ts';
import type { IntakeRequest } from '../../../functions/lib/webhook/types.ts';
import { githubExample } from '../../helpers/github-examples.ts';
import { createMemoryStore } from '../../helpers/memory-store.ts';
import type { MemoryStore } from '../../helpers/memory-store.ts';
import { createMemoryWorkflow } from '../../helpers/memory-workflow.ts';
import type { MemoryWorkflow } from '../../helpers/memory-workflow.ts';
import { sign } from '../../helpers/sign.ts';

const SECRET = 'current-secret-value';
const PREVIOUS = 'previous-secret-value';
const NOW = new Date('2025-03-01T12:00:00.000Z');

function recordingLogger(): IntakeLogger & {
  lines: { level: string; message: string; extra: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  return {
    lines,
    warn: (message, extra) => lines.push({ level: 'warn', message, extra }),
    error: (message, extra) => lines.push({ level: 'error', message, extra }),
  };
}

function request(
  event: string,
  payload: unknown,
  options: { secret?: string; deliveryId?: string; headers?: Record<string, string> } = {},
): IntakeRequest {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return {
    method: 'POST',
    path: '/webhook',
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': options.deliveryId ?? randomUUID(),
      'X-Hub-Signature-256': sign(options.secret ?? SECRET, body),
      ...options.headers,
    },
    body,
    isBase64Encoded: false,
  };
}

const branchPush = () => githubExample('push', (p) => p.ref === 'refs/heads/master' && p.head_commit);

let store: MemoryStore;
let workflow: MemoryWorkflow;
let logger: ReturnType<typeof recordingLogger>;
let runIds: number;

function intake(overrides: Partial<IntakeOptions> = {}) {
  return createIntake({
    store,
    workflow,
    secrets: [SECRET, PREVIOUS],
    allowedRepos: ['codertocat/*', 'octocoders/hello-world'],
    logger,
    now: () => NOW,
    newRunId: () => `01JRUN${String(++runIds).padStart(20, '0')}`,
    ...overrides,
  });
}

beforeEach(() => {
  store = createMemoryStore();
  workflow = createMemoryWorkflow();
  logger = recordingLogger();
  runIds = 0;
});

describe('intake: a push to a branch', () => {
  it('accepts the delivery, records the run with its execution ARN, starts the workflow and answers 202', async () => {
    const payload = branchPush();
    const deliveryId = randomUUID();
    const response = await intake()(request('push', payload, { deliveryId }));

    expect(response.statusCode).toBe(202);
    expect(response.outcome).toBe('started');
    const runId = response.body.runId as string;
    const executionArn = `arn:aws:states:eu-west-1:123456789012:execution:pushgate-deploy:${runId}-Hello-World-push-6113728`;
    expect(response.body).toEqual({
      runId,
      executionArn,
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(executionArn)}`,
    });
    expect(response).toMatchObject({ deliveryId, runId, event: 'push' });

    expect(store.deliveries.get(deliveryId)).toBe(runId);
    expect(store.runs.get(runId)).toEqual({
      runId,
      repo: 'Codertocat/Hello-World',
      kind: 'push',
      ref: 'refs/heads/master',
      branch: 'master',
      sha: payload.after,
      actor: 'Codertocat',
      deliveryId,
      executionArn,
      status: 'queued',
      commitMessage: 'Initial commit',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });

    const [name, input] = [...workflow.started][0]!;
    expect(name).toBe(`${runId}-Hello-World-push-6113728`);
    expect(RunRequest.parse(input)).toEqual(input);
    expect(input).toMatchObject({ runId, deliveryId, kind: 'push', sha: payload.after, receivedAt: NOW.toISOString() });
    expect(logger.lines).toEqual([]);
  });

  it('generates ULID run ids by default', async () => {
    const response = await createIntake({ store, workflow, secrets: [SECRET], allowedRepos: ['codertocat/*'], logger })(
      request('push', branchPush()),
    );
    expect(response.body.runId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('records the pull request number of a plan', async () => {
    const response = await intake()(
      request(
        'pull_request',
        githubExample('pull_request', (p) => p.action === 'synchronize'),
      ),
    );
    expect(response.statusCode).toBe(202);
    expect(store.runs.get(response.body.runId as string)).toMatchObject({
      kind: 'plan',
      pullRequest: 2,
      ref: 'refs/pull/2/head',
      branch: 'master',
    });
  });
});

describe('intake: duplicates', () => {
  it('answers 200 duplicate with the first run id for a repeated delivery, and starts nothing more', async () => {
    const run = intake();
    const deliveryId = randomUUID();
    const first = await run(request('push', branchPush(), { deliveryId }));
    const second = await run(request('push', branchPush(), { deliveryId }));
    expect(first.statusCode).toBe(202);
    expect(second).toMatchObject({
      statusCode: 200,
      outcome: 'duplicate',
      body: { duplicate: true, runId: first.body.runId },
      runId: first.body.runId,
    });
    expect(workflow.started.size).toBe(1);
    expect(store.runs.size).toBe(1);
  });
});

describe('intake: signatures', () => {
  it('accepts a delivery signed with the previous secret during a rotation', async () => {
    const response = await intake()(request('push', branchPush(), { secret: PREVIOUS }));
    expect(response.statusCode).toBe(202);
  });

  it('refuses the previous secret once the rotation is over', async () => {
    const response = await intake({ secrets: [SECRET, undefined] })(
      request('push', branchPush(), { secret: PREVIOUS }),
    );
    expect(response).toMatchObject({
      statusCode: 401,
      outcome: 'rejected',
      body: { error: 'signature does not match the body' },
    });
  });

  it('reads the secrets through a function, and answers 503 when they cannot be read', async () => {
    expect((await intake({ secrets: async () => [SECRET] })(request('push', branchPush()))).statusCode).toBe(202);
    const response = await intake({
      secrets: async () => {
        throw new Error('SSM throttled');
      },
    })(request('push', branchPush()));
    expect(response).toMatchObject({
      statusCode: 503,
      outcome: 'unavailable',
      body: { error: 'webhook secret unavailable' },
    });
    expect(store.deliveries.size).toBe(1);
  });

  it('answers 500 and verifies nothing when no secret is configured (an empty key is forgeable)', async () => {
    const body = JSON.stringify(branchPush());
    const forged = {
      ...request('push', body),
      headers: { ...request('push', body).headers, 'X-Hub-Signature-256': sign('', body) },
    };
    const response = await intake({ secrets: ['', undefined] })(forged);
    expect(response).toMatchObject({
      statusCode: 500,
      outcome: 'error',
      body: { error: 'no webhook secret configured' },
    });
    expect(workflow.started.size).toBe(0);
  });

  it('checks the signature over the form-encoded body, then reads its payload field', async () => {
    const body = new URLSearchParams({ payload: JSON.stringify(branchPush()) }).toString();
    const form = request('push', body, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect((await intake()(form)).statusCode).toBe(202);
  });

  it('checks the signature over the raw bytes of a base64 body', async () => {
    const bytes = Buffer.from(JSON.stringify(branchPush()));
    const base64 = { ...request('push', '{}'), body: bytes.toString('base64'), isBase64Encoded: true };
    base64.headers['X-Hub-Signature-256'] = sign(SECRET, bytes);
    expect((await intake()(base64)).statusCode).toBe(202);
  });
});

describe('intake: answers that start nothing', () => {
  it('answers a ping 200 with its zen', async () => {
    const response = await intake()(request('ping', githubExample('ping')));
    expect(response).toMatchObject({
      statusCode: 200,
      outcome: 'ping',
      body: { ok: true, zen: 'Anything added dilutes everything else.' },
    });
    expect(store.deliveries.size).toBe(0);
  });

  it('answers an organization ping (no repository) 200', async () => {
    const response = await intake()(
      request(
        'ping',
        githubExample('ping', (p) => !p.repository),
      ),
    );
    expect(response.statusCode).toBe(200);
  });

  it('answers 202 ignored with the reason, recording nothing', async () => {
    const payload = branchPush();
    payload.head_commit.message = 'docs [skip deploy]';
    const response = await intake()(request('push', payload));
    expect(response).toEqual(
      expect.objectContaining({
        statusCode: 202,
        outcome: 'ignored',
        body: { ignored: '[skip deploy] in the head commit message' },
      }),
    );
    expect(store.deliveries.size + store.runs.size + workflow.started.size).toBe(0);
  });

  it('answers 202 ignored for an event pushgate does not handle', async () => {
    const response = await intake()(
      request('issues', { action: 'opened', repository: { full_name: 'Codertocat/Hello-World' } }),
    );
    expect(response).toMatchObject({ statusCode: 202, body: { ignored: 'issues events start no run' } });
  });

  it('answers 403 for a repository outside the allowlist, before routing', async () => {
    const payload = branchPush();
    payload.repository.full_name = 'someone-else/Hello-World';
    const response = await intake()(request('push', payload));
    expect(response).toMatchObject({
      statusCode: 403,
      outcome: 'rejected',
      body: { error: 'repository someone-else/Hello-World is not in ALLOWED_REPOS' },
    });
    expect(workflow.started.size).toBe(0);
  });

  it('answers 403 for a ping from a repository outside the allowlist', async () => {
    const response = await intake({ allowedRepos: ['codertocat/*'] })(
      request(
        'ping',
        githubExample('ping', (p) => p.repository),
      ),
    );
    expect(response.statusCode).toBe(403);
  });
});

describe('intake: the order of the checks', () => {
  const cases: [string, (r: IntakeRequest) => IntakeRequest, number, string][] = [
    ['a GET', (r) => ({ ...r, method: 'GET' }), 405, 'method GET not allowed; GitHub delivers with POST'],
    ['another path', (r) => ({ ...r, path: '/other' }), 404, 'no webhook at /other'],
    [
      'a body over the limit, even unsigned',
      (r) => ({ ...r, body: 'x'.repeat(2_000_001), headers: {} }),
      413,
      'body of 2000001 bytes is over the limit of 2000000 bytes',
    ],
    [
      'no X-GitHub-Event, even unsigned',
      (r) => ({ ...r, headers: { 'x-github-delivery': 'abc' } }),
      400,
      'missing X-GitHub-Event header',
    ],
    [
      'no X-GitHub-Delivery',
      (r) => ({ ...r, headers: { 'x-github-event': 'push' } }),
      400,
      'missing X-GitHub-Delivery header',
    ],
    [
      'no signature',
      (r) => ({ ...r, headers: { 'x-github-event': 'push', 'x-github-delivery': 'abc' } }),
      401,
      'missing X-Hub-Signature-256 header',
    ],
    [
      'only the SHA-1 signature',
      (r) => ({
        ...r,
        headers: { 'x-github-event': 'push', 'x-github-delivery': 'abc', 'x-hub-signature': 'sha1=0000' },
      }),
      401,
      'only SHA-256 signatures are accepted: X-Hub-Signature-256 is missing',
    ],
    [
      'a tampered body',
      (r) => ({ ...r, body: r.body.replace('Initial commit', 'Initial commiT') }),
      401,
      'signature does not match the body',
    ],
    [
      'a bad signature with a bad content type',
      (r) => ({ ...r, body: `${r.body} `, headers: { ...r.headers, 'Content-Type': 'text/plain' } }),
      401,
      'signature does not match the body',
    ],
    [
      'a signed text/plain body',
      (r) => ({ ...r, headers: { ...r.headers, 'Content-Type': 'text/plain' } }),
      415,
      'content type "text/plain" not supported; use application/json or application/x-www-form-urlencoded',
    ],
  ];

  it.each(cases)('answers %s with the expected status and message', async (_case, change, statusCode, message) => {
    const response = await intake({ maxBodyBytes: 2_000_000 })(change(request('push', branchPush())));
    expect(response).toMatchObject({ statusCode, outcome: 'rejected', body: { error: message } });
    expect(store.deliveries.size).toBe(0);
    expect(logger.lines).toEqual([]);
  });

  it('tells which method to use on a 405', async () => {
    const response = await intake()({ ...request('push', branchPush()), method: 'PUT' });
    expect(response.headers).toEqual({ allow: 'POST' });
  });

  it.each([
    ['malformed JSON', '{"ref": "refs/heads/main",', 'body is not valid JSON'],
    ['a JSON array', '[1,2]', 'payload is not a JSON object'],
    [
      'a push without its fields',
      '{"zen":"x"}',
      'invalid push payload at ref: Invalid input: expected string, received undefined',
    ],
  ])('answers 400 for signed %s', async (_case, body, message) => {
    const response = await intake()(request('push', body));
    expect(response).toMatchObject({ statusCode: 400, outcome: 'rejected', body: { error: message } });
  });
});

describe('intake: failures of the store and the workflow', () => {
  it('answers 503 when the delivery cannot be accepted, and a redelivery succeeds', async () => {
    const deliveryId = randomUUID();
    const failing = intake({
      store: {
        ...store,
        acceptDelivery: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
      },
    });
    const response = await failing(request('push', branchPush(), { deliveryId }));
    expect(response).toMatchObject({
      statusCode: 503,
      outcome: 'unavailable',
      body: { error: 'store unavailable; redeliver to retry' },
    });
    expect(logger.lines).toMatchObject([
      { level: 'error', message: 'store unavailable; redeliver to retry', extra: { deliveryId, event: 'push' } },
    ]);
    expect((await intake()(request('push', branchPush(), { deliveryId }))).statusCode).toBe(202);
  });

  it('answers 503 when the run cannot be recorded, forgets the delivery, and a redelivery succeeds', async () => {
    const deliveryId = randomUUID();
    const failing = intake({
      store: {
        ...store,
        createRun: async () => {
          throw new Error('InternalServerError');
        },
      },
    });
    const response = await failing(request('push', branchPush(), { deliveryId }));
    expect(response).toMatchObject({ statusCode: 503, body: { error: 'store unavailable; redeliver to retry' } });
    expect(store.deliveries.has(deliveryId)).toBe(false);
    expect(workflow.started.size).toBe(0);

    const retry = await intake()(request('push', branchPush(), { deliveryId }));
    expect(retry.statusCode).toBe(202);
    expect(workflow.started.size).toBe(1);
  });

  it('answers 503 when Step Functions fails, marks the run failed, forgets the delivery, and a redelivery succeeds', async () => {
    const deliveryId = randomUUID();
    const failing = intake({
      workflow: {
        ...workflow,
        start: async () => {
          throw new Error('ThrottlingException: Rate exceeded');
        },
      },
    });
    const response = await failing(request('push', branchPush(), { deliveryId }));
    expect(response).toMatchObject({
      statusCode: 503,
      outcome: 'unavailable',
      body: { error: 'could not start the workflow; redeliver to retry' },
    });
    const [failed] = [...store.runs.values()];
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'the workflow did not start: ThrottlingException: Rate exceeded',
      deliveryId,
    });
    expect(store.deliveries.has(deliveryId)).toBe(false);

    const retry = await intake()(request('push', branchPush(), { deliveryId }));
    expect(retry.statusCode).toBe(202);
    expect(retry.body.runId).not.toBe(failed!.runId);
    expect(store.runs.get(retry.body.runId as string)?.status).toBe('queued');
  });

  it('still answers 503 when marking the run failed and forgetting the delivery fail too, and logs both', async () => {
    const broken = {
      ...store,
      setRunStatus: async () => {
        throw new Error('store down');
      },
      forgetDelivery: async () => {
        throw new Error('store down');
      },
    };
    const failing = intake({
      store: broken,
      workflow: {
        ...workflow,
        start: async () => {
          throw new Error('sfn down');
        },
      },
    });
    const response = await failing(request('push', branchPush()));
    expect(response.statusCode).toBe(503);
    expect(logger.lines.map((line) => line.message)).toEqual([
      'could not mark the run failed',
      'could not forget the delivery; a redelivery will be taken as a duplicate',
      'could not start the workflow; redeliver to retry',
    ]);
  });

  it('answers 202 with the existing execution when Step Functions says it was already started', async () => {
    const deliveryId = randomUUID();
    // The first run id the intake draws (newRunId above), so the name is the one it will start.
    const name = `01JRUN00000000000000000001-Hello-World-push-6113728`;
    await workflow.start({} as RunRequest, name);
    const response = await intake()(request('push', branchPush(), { deliveryId }));
    expect(response).toMatchObject({ statusCode: 202, body: { executionArn: workflow.executionArn(name) } });
    expect(logger.lines).toMatchObject([{ level: 'warn', message: 'execution already existed' }]);
  });

  it('a start whose answer was lost (the execution exists with this run) is a start, not a failure', async () => {
    const deliveryId = randomUUID();
    const lostAnswer = intake({
      workflow: {
        ...workflow,
        start: async (input, name) => {
          await workflow.start(input, name);
          throw new Error('socket hang up');
        },
      },
    });
    const response = await lostAnswer(request('push', branchPush(), { deliveryId }));
    expect(response).toMatchObject({ statusCode: 202, outcome: 'started' });
    expect(store.runs.get(response.body.runId as string)?.status).toBe('queued');
    expect(store.deliveries.has(deliveryId)).toBe(true);
  });

  // The execution name carries the run id (execution-name.ts), so a redelivery's run is a new execution. The
  // first one, if it did start, finds its run `failed` and stops at Validate: only the new run deploys.
  it('a redelivery after a lost answer that could not be checked starts a new run; the first stays failed', async () => {
    const deliveryId = randomUUID();
    const blind = intake({
      workflow: {
        ...workflow,
        start: async (input, name) => {
          await workflow.start(input, name);
          throw new Error('socket hang up');
        },
        runIdOf: async () => {
          throw new Error('still down');
        },
      },
    });
    const first = await blind(request('push', branchPush(), { deliveryId }));
    expect(first.statusCode).toBe(503);
    const firstRunId = [...store.runs.keys()][0]!;

    expect(store.runs.get(firstRunId)).toMatchObject({ status: 'failed' });

    const redelivery = await intake()(request('push', branchPush(), { deliveryId }));
    expect(redelivery).toMatchObject({ statusCode: 202, outcome: 'started' });
    const secondRunId = redelivery.body.runId as string;
    expect(secondRunId).not.toBe(firstRunId);
    expect(store.runs.get(secondRunId)).toMatchObject({ status: 'queued' });
    expect(store.deliveries.get(deliveryId)).toBe(secondRunId);
    expect([...workflow.started.values()].map((input) => input.runId)).toEqual([firstRunId, secondRunId]);
  });

  it('answers an unexpected error 500 with a generic message and logs it without the body or the secret', async () => {
    const failing = intake({
      workflow: {
        ...workflow,
        executionArn: () => {
          throw new TypeError('boom');
        },
      },
    });
    const response = await failing(request('push', branchPush()));
    expect(response).toMatchObject({ statusCode: 500, outcome: 'error', body: { error: 'internal error' } });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'error', message: 'unexpected error in webhook intake' });
    const logged = JSON.stringify(logger.lines, (_key, value: unknown) =>
      value instanceof Error ? { message: value.message, stack: value.stack } : value,
    );
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('Initial commit');
  });
});
