import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { sendJson } from '../http/loopback-server.ts';
import type { LocalCredentials } from './local-credentials.ts';
import { toWire } from './to-wire.ts';
import { AUTH_FAILURE_STATUS, jsonErrorCode, readVerifiedRequest, type AuthFailure } from './verify-request.ts';

/** An error the service answers with 400 and its error code, as AWS does. */
export interface ServiceError extends Error {
  code: string;
}

export interface AwsJsonProtocol {
  /** For messages: `the local <service> does not implement …`. */
  service: string;
  /** The service's SigV4 signing name (`states`, `codebuild`): the credential scope must name it. */
  signingName: string;
  /** The only credentials whose signature is accepted (the local stack's). */
  credentials: LocalCredentials;
  /** `X-Amz-Target` prefix, e.g. `AWSStepFunctions.`. */
  targetPrefix: string;
  /** `application/x-amz-json-1.0` or `-1.1`. */
  contentType: string;
  maxBodyBytes: number;
  /** Operations by name, each given the request body parsed as JSON. */
  operations: Record<string, (body: unknown) => unknown>;
  isServiceError: (error: unknown) => error is ServiceError;
  /** The service's error for a request it cannot read (a body that is not JSON, a schema failure). */
  invalidInput: (message: string) => ServiceError;
  logger: { error(message: string, extra: Record<string, unknown>): void };
}

/**
 * The request listener of an AWS JSON-protocol endpoint (`X-Amz-Target: <prefix><Operation>`, JSON
 * in and out): what the SDK v3 clients of Step Functions and CodeBuild speak. A request is read whole,
 * then answered only when it is addressed to a loopback host and signed with the stack's credentials
 * (403 otherwise, with the error AWS gives; see verify-request.ts). Unknown operations and service
 * errors answer 400 with `__type`; anything else is a 500, logged.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 */
export function awsJsonListener(protocol: AwsJsonProtocol): RequestListener {
  const auth = { credentials: protocol.credentials, signingName: protocol.signingName, service: protocol.service };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) =>
      sendJson(res, status, body, { 'content-type': protocol.contentType, 'x-amzn-requestid': randomUUID() });
    const refuse = (failure: AuthFailure) =>
      reply(AUTH_FAILURE_STATUS, { __type: jsonErrorCode(failure), message: failure.message });
    try {
      // The signature covers the body: it is verified on the bytes read, which are then parsed.
      const verified = await readVerifiedRequest(req, auth, protocol.maxBodyBytes);
      if ('tooLarge' in verified) {
        reply(413, { __type: 'RequestEntityTooLargeException', message: verified.tooLarge.message });
        return;
      }
      if ('refused' in verified) {
        refuse(verified.refused);
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const name = target.startsWith(protocol.targetPrefix) ? target.slice(protocol.targetPrefix.length) : '';
      const operation = Object.hasOwn(protocol.operations, name) ? protocol.operations[name] : undefined;
      if (req.method !== 'POST' || !operation) {
        reply(400, {
          __type: 'UnknownOperationException',
          message: `the local ${protocol.service} does not implement ${target || 'this request'}`,
        });
        return;
      }
      const text = verified.body.toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        throw protocol.invalidInput('the request body is not JSON');
      }
      reply(200, toWire(await operation(body)));
    } catch (error) {
      if (protocol.isServiceError(error)) {
        reply(400, { __type: error.code, message: error.message });
        return;
      }
      protocol.logger.error(`local ${protocol.service} request failed`, { error });
      reply(500, { __type: 'InternalFailure', message: (error as Error).message });
    }
  }
  return (req, res) => void handle(req, res);
}

/** Parses a request with the operation's schema; a failure is the service's invalid-input error. */
export function parseInput<T>(schema: z.ZodType<T>, body: unknown, invalidInput: (message: string) => ServiceError): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw invalidInput(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}
