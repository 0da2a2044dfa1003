import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunRequest } from '../../../functions/lib/workflow/contract.ts';
import { githubExamples } from '../../helpers/github-examples.ts';
import type { ExamplePayload } from '../../helpers/github-examples.ts';
import { createMemoryStore } from '../../helpers/memory-store.ts';
import type { MemoryStore } from '../../helpers/memory-store.ts';
import { createMemoryWorkflow } from '../../helpers/memory-workflow.ts';
import type { MemoryWorkflow } from '../../helpers/memory-workflow.ts';
import { apiGatewayEvent, githubDelivery, sign } from '../../helpers/sign.ts';

const SECRET = 'handler-test-secret';

// handler.ts reads and checks its configuration when it is imported, as on a Lambda cold start.
Object.assign(process.env, {
  PUSHGATE_LOCAL: '1',
  TABLE_NAME: 'pushgate-handler-test',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:pushgate-deploy',
  ALLOWED_REPOS: 'Codertocat/Hello-World, octocoders/*',
  WEBHOOK_SECRET: SECRET,
  AWS_REGION: 'eu-west-1',
});
const { createHandler, handler: defaultHandler } = await import('../../../functions/webhook/handler.ts');

const silent = () => new Logger({ serviceName: 'pushgate-webhook-test', logLevel: 'SILENT' });

let store: MemoryStore;
let workflow: MemoryWorkflow;
let handler: ReturnType<typeof createHandler>;

beforeEach(() => {
  store = createMemoryStore();
  workflow = createMemoryWorkflow();
  handler = createHandler({
    store,
    workflow,
    secrets: [SECRET],
    allowedRepos: ['codertocat/hello-world', 'octocoders/*'],
    logger: silent(),
  });
});

async function deliver(event: string, payload: unknown, deliveryId = randomUUID()) {
  const result = await handler(githubDelivery({ secret: SECRET, event, payload, deliveryId }));
  return {
    statusCode: result.statusCode,
    headers: result.headers,
    body: JSON.parse(result.body ?? 'null') as Record<string, unknown>,
  };
}

/** What pushgate does with each documented example, by the rules of DESIGN.md's Triggers table. */
function expectedFor(event: string, payload: ExamplePayload): { statusCode: number; ignored?: string; kind?: string } {
  switch (event) {
    case 'push':
      if (payload.deleted) return { statusCode: 202, ignored: `${payload.ref} was deleted` };
      if (payload.ref.startsWith('refs/tags/')) return { statusCode: 202, ignored: `tag push (${payload.ref})` };
      return { statusCode: 202, kind: 'push' };
    case 'pull_request':
      return ['opened', 'synchronize', 'reopened'].includes(payload.action)
        ? { statusCode: 202, kind: 'plan' }
        : { statusCode: 202, ignored: `pull_request ${payload.action} starts no plan` };
    case 'issue_comment':
      // None of the documented examples is on a pull request.
      return payload.action === 'created'
        ? { statusCode: 202, ignored: 'comment on an issue, not on a pull request' }
        : { statusCode: 202, ignored: `issue_comment ${payload.action} is not a command` };
    default:
      return { statusCode: 200 };
  }
}

describe('handler: every documented example of the events pushgate reads', () => {
  for (const event of ['push', 'pull_request', 'issue_comment', 'ping']) {
    it(`answers each ${event} example as routed`, async () => {
      const examples = githubExamples(event);
      const outcomes = new Set<string>();
      for (const payload of examples) {
        const expected = expectedFor(event, payload);
        const deliveryId = randomUUID();
        const response = await deliver(event, payload, deliveryId);
        expect(response.statusCode, `${event} ${payload.action ?? payload.ref ?? ''}`).toBe(expected.statusCode);
        expect(response.headers).toEqual({ 'content-type': 'application/json' });
        if (event === 'ping') {
          expect(response.body).toEqual({ ok: true, zen: payload.zen });
          outcomes.add('ping');
        } else if (expected.ignored !== undefined) {
          expect(response.body).toEqual({ ignored: expected.ignored });
          outcomes.add('ignored');
        } else {
          expect(response.body.runId).toEqual(expect.any(String));
          const input = [...workflow.started.values()].find((request) => request.deliveryId === deliveryId);
          expect(input).toBeDefined();
          expect(RunRequest.parse(input)).toEqual(input);
          expect(input).toMatchObject({
            kind: expected.kind,
            runId: response.body.runId,
            repo: payload.repository.full_name,
          });
          expect(input!.sha).toBe(event === 'push' ? payload.after : payload.pull_request.head.sha);
          outcomes.add('started');
        }
      }
      const expectedOutcomes = {
        push: ['ignored', 'started'],
        pull_request: ['ignored', 'started'],
        issue_comment: ['ignored'],
        ping: ['ping'],
      }[event];
      expect([...outcomes].sort()).toEqual(expectedOutcomes);
    });
  }

  it('runs a /pushgate command posted on a pull request, for each issue_comment example', async () => {
    let started = 0;
    for (const payload of githubExamples('issue_comment')) {
      payload.issue.pull_request = {
        url: `https://api.github.com/repos/Codertocat/Hello-World/pulls/${payload.issue.number}`,
      };
      payload.comment.body = '/pushgate plan -p network';
      const deliveryId = randomUUID();
      const response = await deliver('issue_comment', payload, deliveryId);
      expect(response.statusCode).toBe(202);
      if (payload.action !== 'created') {
        expect(response.body).toEqual({ ignored: `issue_comment ${payload.action} is not a command` });
        continue;
      }
      started++;
      const input = [...workflow.started.values()].find((request) => request.deliveryId === deliveryId);
      expect(input).toMatchObject({
        kind: 'comment',
        ref: `refs/pull/${payload.issue.number}/head`,
        comment: {
          id: payload.comment.id,
          command: 'plan',
          args: ['-p', 'network'],
          author: payload.comment.user.login,
        },
      });
    }
    expect(started).toBeGreaterThan(0);
  });

  it('flags a fork pull request for each planning pull_request example', async () => {
    for (const payload of githubExamples('pull_request').filter((p) => p.action === 'opened')) {
      payload.pull_request.head.repo.full_name = 'forker/Hello-World';
      const deliveryId = randomUUID();
      expect((await deliver('pull_request', payload, deliveryId)).statusCode).toBe(202);
      const input = [...workflow.started.values()].find((request) => request.deliveryId === deliveryId);
      expect(input?.pullRequest?.fromFork).toBe(true);
    }
  });
});

describe('handler: the HTTP API boundary', () => {
  it('answers 400 to an event that is not an HTTP API v2 event', async () => {
    const result = await handler({ foo: 'bar' } as never);
    expect(result).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(result.body!)).toEqual({ error: 'not an API Gateway HTTP API (v2) event' });
  });

  it('passes the Allow header of a 405', async () => {
    const result = await handler(apiGatewayEvent({ method: 'GET' }));
    expect(result).toMatchObject({ statusCode: 405, headers: { allow: 'POST', 'content-type': 'application/json' } });
  });

  it('reads a base64 body', async () => {
    const body = Buffer.from(JSON.stringify(githubExamples('ping')[0]));
    const result = await handler(
      apiGatewayEvent({
        body: body.toString('base64'),
        isBase64Encoded: true,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': sign(SECRET, body),
        },
      }),
    );
    expect(result.statusCode).toBe(200);
  });

  it('reads a form-encoded delivery, which API Gateway passes base64-encoded', async () => {
    const form = Buffer.from(new URLSearchParams({ payload: JSON.stringify(githubExamples('ping')[0]) }).toString());
    const result = await handler(
      apiGatewayEvent({
        body: form.toString('base64'),
        isBase64Encoded: true,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-github-event': 'ping',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': sign(SECRET, form),
        },
      }),
    );
    expect(JSON.parse(result.body!)).toEqual({ ok: true, zen: 'Anything added dilutes everything else.' });
  });

  describe('logging', () => {
    let written: string[];
    beforeEach(() => {
      written = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    });
    afterEach(() => vi.restoreAllMocks());

    it('logs one JSON line per request with status, outcome, delivery id and run id, and never the secret or the body', async () => {
      const logged = createHandler({
        store,
        workflow,
        secrets: [SECRET],
        allowedRepos: ['codertocat/*'],
        logger: new Logger({ serviceName: 'pushgate-webhook' }),
      });
      const payload = githubExamples('push').find((p) => p.ref === 'refs/heads/master')!;
      const deliveryId = randomUUID();
      const context = {
        awsRequestId: 'request-1',
        functionName: 'pushgate-webhook',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:pushgate-webhook',
        memoryLimitInMB: '256',
      };
      const result = await logged(
        githubDelivery({ secret: SECRET, event: 'push', payload, deliveryId }),
        context as never,
      );
      const runId = JSON.parse(result.body!).runId;
      await logged(githubDelivery({ secret: 'wrong', event: 'push', payload }));
      vi.restoreAllMocks();

      const lines = written
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({
        level: 'INFO',
        message: 'webhook delivery',
        statusCode: 202,
        outcome: 'started',
        event: 'push',
        deliveryId,
        runId,
      });
      expect(lines[1]).toMatchObject({
        level: 'INFO',
        statusCode: 401,
        outcome: 'rejected',
        reason: 'signature does not match the body',
      });
      expect(lines[1]).not.toHaveProperty('runId');
      const text = written.join('');
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('Initial commit');
      expect(text).not.toContain('sha256=');
    });
  });
});

describe('handler: the default export, configured from the environment', () => {
  it('verifies with WEBHOOK_SECRET (local mode) and answers a ping without touching the store', async () => {
    const ping = githubExamples('ping')[0];
    const ok = await defaultHandler(githubDelivery({ secret: SECRET, event: 'ping', payload: ping }));
    expect(ok.statusCode).toBe(200);
    const bad = await defaultHandler(githubDelivery({ secret: 'not-it', event: 'ping', payload: ping }));
    expect(bad.statusCode).toBe(401);
  });

  it('applies ALLOWED_REPOS', async () => {
    const ping = githubExamples('ping')[0]!;
    ping.repository.full_name = 'stranger/repo';
    expect((await defaultHandler(githubDelivery({ secret: SECRET, event: 'ping', payload: ping }))).statusCode).toBe(
      403,
    );
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('handler: hostile input never gets a 5xx', () => {
  const events = ['push', 'pull_request', 'issue_comment', 'ping', 'issues', 'installation'];
  const contentTypes = [
    'application/json',
    'application/x-www-form-urlencoded',
    'text/plain',
    '',
    'application/json; charset=utf-16',
  ];

  it('answers signed random bytes with a 4xx', async () => {
    const next = random(1);
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 512) }, () => Math.floor(next() * 256)));
      const result = await handler(
        apiGatewayEvent({
          body: bytes.toString('base64'),
          isBase64Encoded: true,
          headers: {
            'content-type': contentTypes[Math.floor(next() * contentTypes.length)]!,
            'x-github-event': events[Math.floor(next() * events.length)]!,
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': sign(SECRET, bytes),
          },
        }),
      );
      expect(result.statusCode, `case ${i}`).toBeGreaterThanOrEqual(400);
      expect(result.statusCode, `case ${i}`).toBeLessThan(500);
    }
  });

  it('answers every signed truncation of real payloads with 400', async () => {
    for (const event of ['push', 'pull_request', 'issue_comment', 'ping']) {
      const text = JSON.stringify(githubExamples(event)[0]);
      for (let cut = 0; cut < text.length; cut += Math.ceil(text.length / 60)) {
        const result = await handler(githubDelivery({ secret: SECRET, event, payload: text.slice(0, cut) }));
        expect(result.statusCode, `${event} cut at ${cut}`).toBe(400);
      }
    }
  });

  it('answers payloads with fields of the wrong type with 400 or an ignore, never 5xx', async () => {
    const next = random(2);
    const values = [null, 0, -1, 1.5, '', 'x', true, [], {}, 'a'.repeat(10_000), { full_name: 1 }, ['refs/heads/main']];
    for (const event of ['push', 'pull_request', 'issue_comment', 'ping']) {
      for (const original of githubExamples(event)) {
        for (let i = 0; i < 8; i++) {
          const payload = structuredClone(original);
          let node: ExamplePayload = payload;
          // Walk a random path and replace what is there.
          for (let depth = 0; depth < 4; depth++) {
            const keys = Object.keys(node);
            const key = keys[Math.floor(next() * keys.length)]!;
            if (depth === 3 || typeof node[key] !== 'object' || node[key] === null || next() < 0.3) {
              node[key] = values[Math.floor(next() * values.length)];
              break;
            }
            node = node[key];
          }
          const result = await handler(githubDelivery({ secret: SECRET, event, payload }));
          expect([200, 202, 400, 403]).toContain(result.statusCode);
        }
      }
    }
  });

  it('answers huge and odd headers with a 4xx', async () => {
    const body = JSON.stringify(githubExamples('push')[0]);
    const huge = 'h'.repeat(1_000_000);
    const good = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': sign(SECRET, body),
    };
    const variants: Record<string, string>[] = [
      { ...good, 'x-github-event': huge },
      { ...good, 'x-github-delivery': huge },
      { ...good, 'x-hub-signature-256': `sha256=${huge}` },
      { ...good, 'x-hub-signature-256': huge },
      { ...good, 'content-type': huge },
      { ...good, 'x-hub-signature': huge, 'x-hub-signature-256': '' },
      { ...good, 'x-github-event': '\u0000push' },
      { ...good, 'x-github-delivery': 'é'.repeat(10) },
      Object.fromEntries([
        ...Array.from({ length: 10_000 }, (_, i) => [`x-junk-${i}`, huge.slice(0, 100)]),
        ['content-type', 'text/plain'],
        ...Object.entries(good).filter(([k]) => k !== 'content-type'),
      ]),
    ];
    for (const [i, headers] of variants.entries()) {
      const result = await handler(apiGatewayEvent({ body, headers }));
      expect(result.statusCode, `variant ${i}`).toBeGreaterThanOrEqual(400);
      expect(result.statusCode, `variant ${i}`).toBeLessThan(500);
    }
    const proto = await handler(apiGatewayEvent({ body, headers: { ...good, 'x-github-event': '__proto__' } }));
    expect(JSON.parse(proto.body!)).toEqual({ ignored: '__proto__ events start no run' });
  });

  it('answers a body over MAX_BODY_BYTES with 413', async () => {
    const small = createHandler({
      store,
      workflow,
      secrets: [SECRET],
      allowedRepos: ['codertocat/*'],
      maxBodyBytes: 1024,
      logger: silent(),
    });
    const result = await small(githubDelivery({ secret: SECRET, event: 'push', payload: githubExamples('push')[0] }));
    expect(result.statusCode).toBe(413);
  });
});
