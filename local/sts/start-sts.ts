import { userInfo } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import { AUTH_FAILURE_STATUS, readVerifiedRequest } from '../aws/verify-request.ts';
import { listenOnLoopback } from '../http/loopback-server.ts';

/** The local stack's account: its Lambdas, state machine and this caller live in it. */
const LOCAL_ACCOUNT_ID = '000000000000';
const MAX_BODY_BYTES = 64 * 1024;
const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface LocalSts {
  url: string;
  /** The ARN every caller is: `arn:aws:iam::000000000000:user/local-<username>`. */
  arn: string;
  stop(): Promise<void>;
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': crypto.randomUUID() });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  xml(
    res,
    status,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escaped}</Message></Error></ErrorResponse>`,
  );
}

/**
 * STS on loopback, GetCallerIdentity only (query protocol, XML): what `pushgate approve|reject`
 * presigns to prove who is calling, and what the approve function sends on. Every caller is the
 * local user `local-<username>`. As every AWS stand-in, it answers only requests addressed to a
 * loopback host and signed (header or presigned query) with the stack's credentials.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
export async function startSts(options: {
  credentials: LocalCredentials;
  port?: number;
  username?: string;
}): Promise<LocalSts> {
  const username = (options.username ?? userInfo().username).replace(/[^\w+=,.@-]/g, '-') || 'user';
  const arn = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-${username}`;
  const auth = { credentials: options.credentials, signingName: 'sts', service: 'STS' };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verified = await readVerifiedRequest(req, auth, MAX_BODY_BYTES);
    if ('tooLarge' in verified) return error(res, 413, 'RequestEntityTooLarge', 'body too large');
    if ('refused' in verified) {
      const code = verified.refused.reason === 'signature' ? 'SignatureDoesNotMatch' : 'AccessDenied';
      return error(res, AUTH_FAILURE_STATUS, code, verified.refused.message);
    }
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    const form = new URLSearchParams(verified.body.toString('utf8'));
    const action = query.get('Action') ?? form.get('Action');
    if (action !== 'GetCallerIdentity') {
      return error(
        res,
        400,
        'InvalidAction',
        `the local STS answers GetCallerIdentity only, not ${action ?? '(none)'}`,
      );
    }
    xml(
      res,
      200,
      `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult>` +
        `<Arn>${arn}</Arn><UserId>LOCAL${username.toUpperCase()}</UserId><Account>${LOCAL_ACCOUNT_ID}</Account>` +
        `</GetCallerIdentityResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata>` +
        `</GetCallerIdentityResponse>`,
    );
  }

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'InternalFailure', 'local STS failed');
      else res.destroy();
    });
  }, options.port);
  return { url: server.url, arn, stop: () => server.stop() };
}
