import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import type { Handler } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushgateError } from '../../../functions/lib/errors.ts';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startLambda, type LocalLambda, type LocalLogger } from '../../../local/lambda/start-lambda.ts';

/** The credentials the stand-in accepts (the local stack's; made up here) and the client signs with. */
const credentials = createLocalCredentials();

class LockHeldError extends PushgateError {}

/** Typed as a real handler module exports it: it must register as it is. */
const typedHandler: Handler<{ n: number }, { doubled: number }> = async (event) => ({ doubled: event.n * 2 });

const decode = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

describe('local Lambda Invoke endpoint', () => {
  let lambda: LocalLambda;
  let client: LambdaClient;
  const logged: { message: string; extra?: Record<string, unknown> }[] = [];
  let onLogged: () => void = () => {};
  const logger: LocalLogger = {
    info: () => {},
    error: (message, extra) => {
      logged.push({ message, extra });
      onLogged();
    },
  };

  beforeAll(async () => {
    lambda = await startLambda({
      credentials,
      logger,
      defaultTimeoutSeconds: 30,
      timeoutSeconds: { slow: 0.05 },
      handlers: {
        echo: async (event, context) => ({
          event,
          functionName: context.functionName,
          awsRequestId: context.awsRequestId,
          remaining: context.getRemainingTimeInMillis() > 0,
          arn: context.invokedFunctionArn,
        }),
        nothing: async () => undefined,
        typed: typedHandler,
        locked: async () => {
          throw new LockHeldError('network/prod is locked by run 01H');
        },
        text: async () => {
          throw 'plain text';
        },
        slow: () => new Promise(() => {}),
        background: async () => {
          throw new Error('background boom');
        },
      },
    });
    client = new LambdaClient({
      endpoint: lambda.url,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await lambda.stop();
  });

  it('invokes a handler by name with a Lambda-like context and returns its JSON result', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: JSON.stringify({ hello: 'world' }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const body = decode(out.Payload);
    expect(body.event).toEqual({ hello: 'world' });
    expect(body.functionName).toBe('echo');
    expect(body.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.remaining).toBe(true);
    expect(body.arn).toBe('arn:aws:lambda:us-east-1:123456789012:function:echo');
  });

  it('accepts a full ARN with a qualifier and a partial ARN', async () => {
    for (const FunctionName of [
      'arn:aws:lambda:eu-west-1:111122223333:function:echo:live',
      '111122223333:function:echo',
    ]) {
      const out = await client.send(new InvokeCommand({ FunctionName, Payload: '{"n":1}' }));
      expect(decode(out.Payload).event).toEqual({ n: 1 });
    }
  });

  it('answers null for a handler that returns nothing, and passes {} for an empty payload', async () => {
    const nothing = await client.send(new InvokeCommand({ FunctionName: 'nothing' }));
    expect(Buffer.from(nothing.Payload!).toString()).toBe('null');
    const echo = await client.send(new InvokeCommand({ FunctionName: 'echo' }));
    expect(decode(echo.Payload).event).toEqual({});
  });

  it('reports a thrown error as an Unhandled function error with the error name as errorType', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'locked', Payload: '{}' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = decode(out.Payload);
    expect(body.errorType).toBe('LockHeldError');
    expect(body.errorMessage).toBe('network/prod is locked by run 01H');
    expect(body.trace[0]).toBe('LockHeldError: network/prod is locked by run 01H');
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
  });

  it('reports a thrown non-Error by its type', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'text' }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toEqual({ errorType: 'string', errorMessage: 'plain text', trace: [] });
  });

  it('ends a handler that outlives its timeout with Sandbox.Timedout', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'slow' }));
    expect(out.FunctionError).toBe('Unhandled');
    const body = decode(out.Payload);
    expect(body.errorType).toBe('Sandbox.Timedout');
    expect(body.errorMessage).toMatch(/Task timed out after 0\.05 seconds/);
  });

  it('answers an unknown function with ResourceNotFoundException', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'missing' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((error as Error).message).toBe('Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing');
  });

  it('answers a payload that is not JSON with InvalidRequestContentException', async () => {
    const error = await client
      .send(new InvokeCommand({ FunctionName: 'echo', Payload: 'not json' }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('InvalidRequestContentException');
  });

  it('answers DryRun with 204 without running the handler', async () => {
    const before = lambda.invocations.length;
    const out = await client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(out.StatusCode).toBe(204);
    expect(lambda.invocations.length).toBe(before);
  });

  it('answers Event with 202 and logs a background failure', async () => {
    const failureLogged = new Promise<void>((resolve) => (onLogged = resolve));
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'background', InvocationType: 'Event', Payload: '{"a":1}' }),
    );
    expect(out.StatusCode).toBe(202);
    await failureLogged;
    await lambda.drain();
    const entry = logged.find((l) => l.extra?.functionName === 'background');
    expect(entry?.message).toBe('asynchronous invocation failed');
    expect(entry?.extra).toMatchObject({ errorType: 'Error', errorMessage: 'background boom' });
    const record = lambda.invocations.find((i) => i.functionName === 'background');
    expect(record).toMatchObject({ invocationType: 'Event', event: { a: 1 }, outcome: { ok: false } });
  });

  it('calls a handler typed as aws-lambda Handler', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'typed', Payload: '{"n":21}' }));
    expect(decode(out.Payload)).toEqual({ doubled: 42 });
  });

  it('calls a handler registered after start', async () => {
    lambda.register('late', async () => 'late answer');
    const out = await client.send(new InvokeCommand({ FunctionName: 'late' }));
    expect(decode(out.Payload)).toBe('late answer');
  });
});
