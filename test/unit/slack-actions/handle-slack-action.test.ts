import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { handleSlackAction, type SlackActionsDeps } from '../../../functions/lib/slack-actions/handle-slack-action.ts';
import type { IntakeRequest } from '../../../functions/lib/webhook/types.ts';
import { gitHost, memoryApprovalStore, PLAN, recordingResumer, run, T0, target } from '../approval/approval-doubles.ts';

const SECRET = 'slack-signing-secret';
const NOW_SECONDS = Math.floor(T0.getTime() / 1000);

// The TaskResumer is a recording double (approval-doubles.ts): nothing is resumed, calls are kept.
let resumer: ReturnType<typeof recordingResumer>;
let store: ReturnType<typeof memoryApprovalStore>;

function deps(): SlackActionsDeps {
  store = memoryApprovalStore([run()], [target()]);
  return {
    store,
    gitHost: gitHost({}),
    tasks: resumer,
    policy: async () => ({ slackUsers: { U0ALICE: 'alice' } }),
    signingSecret: async () => SECRET,
    now: () => T0,
  };
}

function body(
  actionId = 'pushgate_approve',
  value: unknown = { runId: 'r1', project: 'net', environment: 'prod', planSha256: PLAN },
  user = 'U0ALICE',
): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: 'alice' },
    actions: [{ action_id: actionId, block_id: 'b', type: 'button', value: JSON.stringify(value), action_ts: '1' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function signed(text: string, options: { secret?: string; timestamp?: number; base64?: boolean } = {}): IntakeRequest {
  const timestamp = options.timestamp ?? NOW_SECONDS;
  const signature = createHmac('sha256', options.secret ?? SECRET)
    .update(`v0:${timestamp}:${text}`)
    .digest('hex');
  return {
    method: 'POST',
    path: '/slack/actions',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Signature': `v0=${signature}`,
      'X-Slack-Request-Timestamp': String(timestamp),
    },
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: options.base64 ?? false,
  };
}

beforeEach(() => {
  resumer = recordingResumer();
});

describe('POST /slack/actions: attacks', () => {
  it.each([
    ['a forged signature', () => signed(body(), { secret: 'guessed' }), 'signature does not match the body'],
    [
      'an old timestamp (replay)',
      () => signed(body(), { timestamp: NOW_SECONDS - 301 }),
      'X-Slack-Request-Timestamp is more than five minutes from now',
    ],
    [
      'a future timestamp',
      () => signed(body(), { timestamp: NOW_SECONDS + 301 }),
      'X-Slack-Request-Timestamp is more than five minutes from now',
    ],
    [
      'no signature',
      () => {
        const request = signed(body());
        delete request.headers['X-Slack-Signature'];
        return request;
      },
      'missing X-Slack-Signature header',
    ],
    [
      'a body changed after signing',
      () => ({ ...signed(body()), body: body('pushgate_approve', undefined, 'U0MALLORY') }),
      'signature does not match the body',
    ],
    [
      'a short signature',
      () => {
        const request = signed(body());
        request.headers['X-Slack-Signature'] = 'v0=abcd';
        return request;
      },
      'X-Slack-Signature is not v0=<64 hex digits>',
    ],
  ])('answers 401 to %s and approves nothing', async (_name, request, error) => {
    const d = deps();
    const response = await handleSlackAction(request(), d);
    expect(response).toEqual({ statusCode: 401, body: { error }, outcome: 'unauthorized' });
    expect(resumer.calls).toEqual([]);
    expect(store.targets[0]!.approvalTaskToken).toBe('token-r1-net-prod');
  });

  it('answers 400 to a signed body that is not a payload', async () => {
    const response = await handleSlackAction(signed('nothing=here'), deps());
    expect(response).toEqual({
      statusCode: 400,
      body: { error: 'form body has no payload field' },
      outcome: 'invalid',
    });
  });

  it('answers 400 to a button value that is not a pushgate one', async () => {
    const response = await handleSlackAction(signed(body('pushgate_approve', { runId: 'r1' })), deps());
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toMatch(/^invalid button value at project/);
  });

  it('answers 200 ignoring an action that is not pushgate_approve/reject', async () => {
    const response = await handleSlackAction(signed(body('something_else')), deps());
    expect(response).toMatchObject({
      statusCode: 200,
      outcome: 'ignored',
      body: { text: "action something_else is not pushgate's: ignored" },
    });
    expect(resumer.calls).toEqual([]);
  });
});

describe('POST /slack/actions: decisions', () => {
  it('approves for a linked Slack user and answers an ephemeral message', async () => {
    const response = await handleSlackAction(signed(body()), deps());
    expect(response).toEqual({
      statusCode: 200,
      outcome: 'decided',
      body: { response_type: 'ephemeral', replace_original: false, text: 'approved net/prod (run r1) as alice' },
    });
    expect(resumer.calls).toHaveLength(1);
  });

  it('handles a base64-encoded body', async () => {
    const response = await handleSlackAction(signed(body(), { base64: true }), deps());
    expect(response.outcome).toBe('decided');
  });

  it('rejects with "rejected in Slack"', async () => {
    await handleSlackAction(signed(body('pushgate_reject')), deps());
    expect(resumer.calls[0]).toMatchObject({ method: 'fail', cause: 'rejected by alice: rejected in Slack' });
  });

  it('refuses an unlinked Slack user with a 200 saying why', async () => {
    const response = await handleSlackAction(signed(body('pushgate_approve', undefined, 'U0EVE')), deps());
    expect(response.statusCode).toBe(200);
    expect(response.outcome).toBe('refused');
    expect(response.body.text).toMatch(/^Slack user U0EVE is not linked/);
  });
});

describe('POST /slack/actions: failures are answered, never a 5xx', () => {
  it('answers 200 with an ephemeral "could not decide now" when GitHub or DynamoDB fail', async () => {
    const d = deps();
    d.store = {
      ...d.store,
      async listTargets() {
        throw Object.assign(new Error('User arn:aws:sts::1:assumed-role/x is not authorized'), {
          name: 'AccessDeniedException',
        });
      },
    };
    const response = await handleSlackAction(signed(body()), d);
    expect(response).toMatchObject({
      statusCode: 200,
      outcome: 'error',
      body: {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'could not decide now: AccessDeniedException, try again',
      },
    });
    expect(response.error).toBeInstanceOf(Error);
    expect(resumer.calls).toEqual([]);
  });
});

describe('POST /slack/actions: the answer reaches the presser', () => {
  function withResponseUrl(url: string): string {
    const form = new URLSearchParams(body());
    const payload = JSON.parse(form.get('payload')!) as Record<string, unknown>;
    return new URLSearchParams({ payload: JSON.stringify({ ...payload, response_url: url }) }).toString();
  }
  // A recording fetch: the transport of the reply (Slack's hooks are not reachable from a test).
  function recordingFetch() {
    const calls: { url: string; body: string }[] = [];
    const fetch = (async (url: URL | string, init?: RequestInit) => {
      calls.push({ url: String(url), body: String(init?.body) });
      return new Response('ok', { status: 200 });
    }) as typeof globalThis.fetch;
    return { calls, fetch };
  }

  it("posts the decision to the payload's response_url (Slack ignores the HTTP body of block_actions)", async () => {
    const { calls, fetch } = recordingFetch();
    const url = 'https://hooks.slack.com/actions/T0/1/secret';
    const response = await handleSlackAction(signed(withResponseUrl(url)), { ...deps(), responseUrl: { fetch } });
    expect(response.outcome).toBe('decided');
    expect(response.reply).toEqual({ status: 'posted', origin: 'https://hooks.slack.com' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(url);
    expect(JSON.parse(calls[0]!.body)).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  });

  it('never fetches a response_url on another host, even in a signed payload', async () => {
    const { calls, fetch } = recordingFetch();
    const response = await handleSlackAction(signed(withResponseUrl('http://169.254.169.254/latest/meta-data')), {
      ...deps(),
      responseUrl: { fetch },
    });
    expect(calls).toHaveLength(0);
    expect(response.reply).toMatchObject({ status: 'skipped' });
  });

  it.each([
    ['no signing secret', async () => undefined],
    [
      'a signing secret that cannot be read',
      async () => {
        throw new Error('ParameterNotFound');
      },
    ],
  ])('%s: 401, nothing decided, and the log names the parameter to create', async (_, signingSecret) => {
    const response = await handleSlackAction(signed(body()), {
      ...deps(),
      signingSecret,
      signingSecretParameter: '/pushgate/prod/slack-signing-secret',
    });
    expect(response.statusCode).toBe(401);
    expect(response.outcome).toBe('unauthorized');
    expect(String(response.error)).toContain('/pushgate/prod/slack-signing-secret');
    expect(resumer.calls).toHaveLength(0);
  });
});

describe('POST /slack/actions: the reply, more closely', () => {
  function withResponseUrl(url: string, text = body()): string {
    const payload = JSON.parse(new URLSearchParams(text).get('payload')!) as Record<string, unknown>;
    return new URLSearchParams({ payload: JSON.stringify({ ...payload, response_url: url }) }).toString();
  }
  function recordingFetch(answer: () => Promise<Response> = async () => new Response('ok')) {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const fetch = (async (url: URL | string, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return answer();
    }) as typeof globalThis.fetch;
    return { calls, fetch };
  }

  it('posts exactly the ephemeral message, as JSON, without following redirects, with a timeout', async () => {
    const { calls, fetch } = recordingFetch();
    const response = await handleSlackAction(signed(withResponseUrl('https://hooks.slack.com/actions/T0/1/x')), {
      ...deps(),
      responseUrl: { fetch },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init).toMatchObject({ method: 'POST', redirect: 'error' });
    expect(calls[0]!.init!.signal).toBeInstanceOf(AbortSignal);
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'approved net/prod (run r1) as alice',
    });
    // The body keeps the message too.
    expect(response.body).toEqual(JSON.parse(String(calls[0]!.init!.body)));
  });

  it('also posts a refusal and a "could not decide now"', async () => {
    const { calls, fetch } = recordingFetch();
    const url = 'https://hooks.slack.com/actions/T0/1/x';
    await handleSlackAction(signed(withResponseUrl(url, body('pushgate_approve', undefined, 'U0EVE'))), {
      ...deps(),
      responseUrl: { fetch },
    });
    const failing = deps();
    failing.store = {
      ...failing.store,
      async listTargets() {
        throw new Error('down');
      },
    };
    await handleSlackAction(signed(withResponseUrl(url)), { ...failing, responseUrl: { fetch } });
    expect(calls.map((call) => (JSON.parse(String(call.init!.body)) as { text: string }).text)).toEqual([
      expect.stringMatching(/^Slack user U0EVE is not linked/),
      'could not decide now: Error, try again',
    ]);
  });

  it('posts to the allowed local origin only, not to another port or scheme of the same host', async () => {
    const { calls, fetch } = recordingFetch();
    const local = { fetch, allowedOrigins: ['http://127.0.0.1:4566'] };
    for (const url of [
      'http://127.0.0.1:4566/_local/response/abc',
      'http://127.0.0.1:4567/_local/response/abc',
      'https://127.0.0.1:4566/_local/response/abc',
      'http://hooks.slack.com/actions/x',
      'https://hooks.slack.com.evil.example/actions/x',
      'https://hooks.slack.com@evil.example/actions/x',
      'not a url',
    ]) {
      const response = await handleSlackAction(signed(withResponseUrl(url)), { ...deps(), responseUrl: local });
      expect(response.statusCode).toBe(200);
    }
    expect(calls.map((call) => call.url)).toEqual(['http://127.0.0.1:4566/_local/response/abc']);
  });

  it.each([
    ['an HTTP error', async () => new Response('expired_url', { status: 404 })],
    [
      'a network error',
      async () => {
        throw new TypeError('fetch failed');
      },
    ],
  ])('still answers 200 when the response_url gives %s, and says so for the log', async (_name, answer) => {
    const { fetch } = recordingFetch(answer);
    const response = await handleSlackAction(signed(withResponseUrl('https://hooks.slack.com/actions/T0/1/x')), {
      ...deps(),
      responseUrl: { fetch },
    });
    expect(response.statusCode).toBe(200);
    expect(response.outcome).toBe('decided');
    expect(response.reply).toMatchObject({ status: 'failed', origin: 'https://hooks.slack.com' });
  });

  it('gives up on a response_url that does not answer in time', async () => {
    const fetch = ((_url: URL | string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason));
      })) as typeof globalThis.fetch;
    const response = await handleSlackAction(signed(withResponseUrl('https://hooks.slack.com/actions/T0/1/x')), {
      ...deps(),
      responseUrl: { fetch, timeoutMs: 20 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.reply).toMatchObject({ status: 'failed' });
  });

  it('answers the 401 without a secret with the body the issue names, and posts nothing', async () => {
    const { calls, fetch } = recordingFetch();
    const response = await handleSlackAction(signed(withResponseUrl('https://hooks.slack.com/actions/T0/1/x')), {
      ...deps(),
      signingSecret: async () => undefined,
      responseUrl: { fetch },
    });
    expect(response.statusCode).toBe(401);
    expect(response.body).toEqual({ error: 'not verified: pushgate has no Slack signing secret' });
    expect(calls).toEqual([]);
    expect(String(response.error)).toContain('SLACK_SIGNING_SECRET_PARAMETER');
  });
});
