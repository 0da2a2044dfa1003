import { isLocalMode } from '../local-mode.ts';
import { CALLER_INTENT_HEADER } from './caller-intent.ts';

/** Caller identities are proven with a presigned STS GetCallerIdentity URL (as Vault's AWS auth does). */
/** STS's global endpoint, or a regional one: the label is a region name (`us-east-1`, `us-gov-west-1`, `cn-north-1`). */
const STS_HOST = /^sts(?:\.[a-z]{2}(?:-gov)?-[a-z]+-\d)?\.amazonaws\.com(?:\.cn)?$/;
const MAX_EXPIRES_SECONDS = 900;
/** The answer's document element, its one GetCallerIdentityResult, and in that its Arn. */
const RESPONSE =
  /^\s*(?:<\?xml[^>]*\?>\s*)?<GetCallerIdentityResponse(?:\s[^>]*)?>([\s\S]*)<\/GetCallerIdentityResponse>\s*$/;
const RESULT = /<GetCallerIdentityResult>([\s\S]*?)<\/GetCallerIdentityResult>/g;
const ARN = /<Arn>(arn:aws[a-z-]*:(?:iam|sts)::\d{12}:[^<&\s]{1,2000})<\/Arn>/g;

export type CallerIdentity = { arn: string } | { refused: string };

/**
 * The local stack's STS (`AWS_ENDPOINT_URL_STS`), trusted as an identity source in local mode only:
 * on AWS a function's environment naming another "STS" must not let it accept proofs from it.
 */
export function localStsEndpoint(env: NodeJS.ProcessEnv = process.env): { stsEndpoint?: string } {
  return isLocalMode(env) && env.AWS_ENDPOINT_URL_STS ? { stsEndpoint: env.AWS_ENDPOINT_URL_STS } : {};
}

/**
 * Who called, proven rather than claimed: a Lambda invoked directly learns nothing of its caller, so
 * the CLI sends a GetCallerIdentity request it presigned with its own credentials (valid a minute),
 * and this function sends it to STS and reads the ARN from the answer. Only STS endpoints are
 * fetched (`https://sts[.<region>].amazonaws.com[.cn]`, the label a region name, or exactly
 * `stsEndpoint`: AWS_ENDPOINT_URL_STS, the local stand-in), only for that one action, without
 * following redirects; the ARN is `GetCallerIdentityResponse/GetCallerIdentityResult/Arn` of the answer.
 * The proof must sign the `x-pushgate-intent` header (callerIntent), which is sent with `intent`, the
 * value computed from the request being decided: STS refuses a proof made for any other request.
 */
export async function verifyCallerIdentity(
  presignedUrl: string,
  intent: string,
  options: { stsEndpoint?: string; fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<CallerIdentity> {
  let url: URL;
  try {
    url = new URL(presignedUrl);
  } catch {
    return { refused: 'the identity proof is not a URL' };
  }
  const local = options.stsEndpoint ? new URL(options.stsEndpoint) : undefined;
  const isAws = url.protocol === 'https:' && url.port === '' && STS_HOST.test(url.hostname);
  const isLocal = local !== undefined && url.origin === local.origin;
  if (!isAws && !isLocal) return { refused: `the identity proof is not addressed to STS (${url.host})` };
  const query = url.searchParams;
  if (
    url.pathname !== '/' ||
    query.get('Action') !== 'GetCallerIdentity' ||
    query.get('Version') !== '2011-06-15' ||
    query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
    !(Number(query.get('X-Amz-Expires')) > 0 && Number(query.get('X-Amz-Expires')) <= MAX_EXPIRES_SECONDS)
  ) {
    return { refused: 'the identity proof is not a presigned GetCallerIdentity request' };
  }
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes(CALLER_INTENT_HEADER)) {
    return {
      refused: `the identity proof is not bound to this request (it does not sign ${CALLER_INTENT_HEADER}): update the pushgate CLI`,
    };
  }
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'GET',
      headers: { [CALLER_INTENT_HEADER]: intent },
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (error) {
    return {
      refused: `STS could not be reached to verify the caller (${error instanceof Error ? error.name : 'error'})`,
    };
  }
  const text = await response.text();
  if (!response.ok) {
    return {
      refused: `STS refused the identity proof (${response.status}): it expired, or was made for another request; run the command again`,
    };
  }
  const arn = callerArn(text);
  if (arn === undefined) return { refused: 'STS answered without an ARN' };
  return { arn };
}

/** `GetCallerIdentityResponse/GetCallerIdentityResult/Arn`, when there is exactly one of each. */
function callerArn(xml: string): string | undefined {
  const response = RESPONSE.exec(xml)?.[1];
  if (response === undefined) return undefined;
  const results = [...response.matchAll(RESULT)];
  if (results.length !== 1) return undefined;
  const result = results[0]![1]!;
  const arns = [...result.matchAll(ARN)];
  if (arns.length !== 1 || (result.match(/<Arn>/g) ?? []).length !== 1) return undefined;
  return arns[0]![1];
}
