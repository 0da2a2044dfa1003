import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignCallerIdentity } from '../../../cli/lib/presign-caller-identity.ts';
import { callerIntent } from '../../../functions/lib/approval/caller-intent.ts';
import { verifyCallerIdentity } from '../../../functions/lib/approval/verify-caller-identity.ts';
import { createLocalCredentials } from '../../../local/aws/local-credentials.ts';
import { startSts, type LocalSts } from '../../../local/sts/start-sts.ts';

const credentials = createLocalCredentials();
let sts: LocalSts;
const saved = { ...process.env };

beforeAll(async () => {
  sts = await startSts({ credentials, username: 'ada' });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
  });
});
afterAll(async () => {
  await sts.stop();
  process.env = saved;
});

describe('the caller identity proof (CLI → approve function → STS)', () => {
  const approval = callerIntent('approve', { decision: 'approve', runId: '01RUN' });
  const refusedBySts = {
    refused: 'STS refused the identity proof (403): it expired, or was made for another request; run the command again',
  };

  it('proves the presigner is the local user', async () => {
    const url = await presignCallerIdentity(approval);
    expect(await verifyCallerIdentity(url, approval, { stsEndpoint: sts.url })).toEqual({
      arn: 'arn:aws:iam::000000000000:user/local-ada',
    });
  });

  it('refuses a proof signed with other credentials', async () => {
    const url = await presignCallerIdentity(approval, { ...process.env });
    const forged = new URL(url);
    forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect(await verifyCallerIdentity(forged.toString(), approval, { stsEndpoint: sts.url })).toEqual(refusedBySts);
  });

  it('refuses a proof made for another request: an approval of one run is no rollback, nor an approval of another', async () => {
    const url = await presignCallerIdentity(approval);
    const rollback = callerIntent('rollback', { repo: 'acme/infra', environment: 'prod' });
    expect(await verifyCallerIdentity(url, rollback, { stsEndpoint: sts.url })).toEqual(refusedBySts);
    const otherRun = callerIntent('approve', { decision: 'approve', runId: '01OTHER' });
    expect(await verifyCallerIdentity(url, otherRun, { stsEndpoint: sts.url })).toEqual(refusedBySts);
    const rejection = callerIntent('approve', { decision: 'reject', runId: '01RUN', reason: 'no' });
    expect(await verifyCallerIdentity(url, rejection, { stsEndpoint: sts.url })).toEqual(refusedBySts);
  });

  it('never fetches a URL that is not STS', async () => {
    let fetched = false;
    const fetchSpy = (async () => {
      fetched = true;
      return new Response('');
    }) as typeof fetch;
    const result = await verifyCallerIdentity(
      'https://evil.example/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60',
      approval,
      { stsEndpoint: sts.url, fetch: fetchSpy },
    );
    expect(result).toEqual({ refused: 'the identity proof is not addressed to STS (evil.example)' });
    const other = await verifyCallerIdentity(`${sts.url}/?Action=AssumeRole&Version=2011-06-15`, approval, {
      stsEndpoint: sts.url,
      fetch: fetchSpy,
    });
    expect(other).toEqual({ refused: 'the identity proof is not a presigned GetCallerIdentity request' });
    expect(fetched).toBe(false);
  });
});
