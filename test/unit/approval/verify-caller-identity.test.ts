import { describe, expect, it } from 'vitest';
import { verifyCallerIdentity } from '../../../functions/lib/approval/verify-caller-identity.ts';

const QUERY = '/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60';
const ARN = 'arn:aws:iam::111111111111:user/ops';
const ANSWER =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  `<Arn>${ARN}</Arn><UserId>AIDA</UserId><Account>111111111111</Account>` +
  '</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>';

/** A fetch double that answers `text` and remembers what it was asked. */
function answering(text: string) {
  const fetched: string[] = [];
  const fetchDouble = (async (url: URL | string) => {
    fetched.push(String(url));
    return new Response(text, { status: 200 });
  }) as typeof fetch;
  return { fetched, fetch: fetchDouble };
}

describe('verifyCallerIdentity: only STS, only its answer', () => {
  it.each([
    'sts.amazonaws.com',
    'sts.us-east-1.amazonaws.com',
    'sts.us-gov-west-1.amazonaws.com',
    'sts.cn-north-1.amazonaws.com.cn',
  ])('accepts %s', async (host) => {
    const double = answering(ANSWER);
    expect(await verifyCallerIdentity(`https://${host}${QUERY}`, { fetch: double.fetch })).toEqual({ arn: ARN });
  });

  it.each([
    'sts.s3.amazonaws.com',
    'sts.execute-api.amazonaws.com',
    'sts.x.amazonaws.com',
    'sts.us-east-1a.amazonaws.com',
  ])('never fetches %s (not a region)', async (host) => {
    const double = answering(ANSWER);
    const result = await verifyCallerIdentity(`https://${host}${QUERY}`, { fetch: double.fetch });
    expect(result).toEqual({ refused: `the identity proof is not addressed to STS (${host})` });
    expect(double.fetched).toEqual([]);
  });

  it('reads the ARN of GetCallerIdentityResult, not any <Arn> in the body', async () => {
    const planted = `<Error><Arn>arn:aws:iam::111111111111:role/admin</Arn></Error>${ANSWER.replace(`<Arn>${ARN}</Arn>`, '')}`;
    const result = await verifyCallerIdentity(`https://sts.amazonaws.com${QUERY}`, { fetch: answering(planted).fetch });
    expect(result).toEqual({ refused: 'STS answered without an ARN' });
  });

  it('refuses an answer that is not a GetCallerIdentityResponse', async () => {
    const result = await verifyCallerIdentity(`https://sts.amazonaws.com${QUERY}`, {
      fetch: answering(`<Other><GetCallerIdentityResult><Arn>${ARN}</Arn></GetCallerIdentityResult></Other>`).fetch,
    });
    expect(result).toEqual({ refused: 'STS answered without an ARN' });
  });
});
