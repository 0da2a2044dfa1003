import { describe, expect, it } from 'vitest';
import { localStsEndpoint, verifyCallerIdentity } from '../../../functions/lib/approval/verify-caller-identity.ts';

const QUERY =
  '/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-pushgate-intent';
const INTENT = 'pushgate-approve:abc';
const ARN = 'arn:aws:iam::111111111111:user/ops';
const ANSWER =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  `<Arn>${ARN}</Arn><UserId>AIDA</UserId><Account>111111111111</Account>` +
  '</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>';

/** A fetch double that answers `text` and remembers what it was asked. */
function answering(text: string) {
  const fetched: string[] = [];
  const headers: Array<Record<string, string>> = [];
  const fetchDouble = (async (url: URL | string, init?: RequestInit) => {
    fetched.push(String(url));
    headers.push({ ...(init?.headers as Record<string, string>) });
    return new Response(text, { status: 200 });
  }) as typeof fetch;
  return { fetched, headers, fetch: fetchDouble };
}

describe('verifyCallerIdentity: only STS, only its answer', () => {
  it.each([
    'sts.amazonaws.com',
    'sts.us-east-1.amazonaws.com',
    'sts.us-gov-west-1.amazonaws.com',
    'sts.cn-north-1.amazonaws.com.cn',
  ])('accepts %s', async (host) => {
    const double = answering(ANSWER);
    expect(await verifyCallerIdentity(`https://${host}${QUERY}`, INTENT, { fetch: double.fetch })).toEqual({
      arn: ARN,
    });
  });

  it.each([
    'sts.s3.amazonaws.com',
    'sts.execute-api.amazonaws.com',
    'sts.x.amazonaws.com',
    'sts.us-east-1a.amazonaws.com',
  ])('never fetches %s (not a region)', async (host) => {
    const double = answering(ANSWER);
    const result = await verifyCallerIdentity(`https://${host}${QUERY}`, INTENT, { fetch: double.fetch });
    expect(result).toEqual({ refused: `the identity proof is not addressed to STS (${host})` });
    expect(double.fetched).toEqual([]);
  });

  it('reads the ARN of GetCallerIdentityResult, not any <Arn> in the body', async () => {
    const planted = `<Error><Arn>arn:aws:iam::111111111111:role/admin</Arn></Error>${ANSWER.replace(`<Arn>${ARN}</Arn>`, '')}`;
    const result = await verifyCallerIdentity(`https://sts.amazonaws.com${QUERY}`, INTENT, {
      fetch: answering(planted).fetch,
    });
    expect(result).toEqual({ refused: 'STS answered without an ARN' });
  });

  it('refuses an answer that is not a GetCallerIdentityResponse', async () => {
    const result = await verifyCallerIdentity(`https://sts.amazonaws.com${QUERY}`, INTENT, {
      fetch: answering(`<Other><GetCallerIdentityResult><Arn>${ARN}</Arn></GetCallerIdentityResult></Other>`).fetch,
    });
    expect(result).toEqual({ refused: 'STS answered without an ARN' });
  });

  it('sends the intent of the request being decided as the signed header', async () => {
    const double = answering(ANSWER);
    await verifyCallerIdentity(`https://sts.amazonaws.com${QUERY}`, INTENT, { fetch: double.fetch });
    expect(double.headers).toEqual([{ 'x-pushgate-intent': INTENT }]);
  });

  it('refuses a proof that does not sign the intent header (it could be replayed for any request)', async () => {
    const double = answering(ANSWER);
    const unbound = `https://sts.amazonaws.com${QUERY.replace('host%3Bx-pushgate-intent', 'host')}`;
    const result = await verifyCallerIdentity(unbound, INTENT, { fetch: double.fetch });
    expect(result).toEqual({
      refused:
        'the identity proof is not bound to this request (it does not sign x-pushgate-intent): update the pushgate CLI',
    });
    expect(double.fetched).toEqual([]);
  });
});

describe('localStsEndpoint: another STS is trusted in local mode only', () => {
  it('ignores AWS_ENDPOINT_URL_STS outside local mode', () => {
    expect(localStsEndpoint({ AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1' })).toEqual({});
    expect(localStsEndpoint({ AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1', PUSHGATE_LOCAL: '1' })).toEqual({
      stsEndpoint: 'http://127.0.0.1:1',
    });
  });
});
