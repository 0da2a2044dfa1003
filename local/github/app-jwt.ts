import { createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';

/**
 * GitHub App JSON web tokens: RS256, `iss` the app id, `exp` at most 10 minutes ahead.
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 */

/** GitHub refuses a JWT whose `exp` is further ahead than this. */
const MAX_LIFETIME_S = 600;
/** Clock drift GitHub tolerates on `iat`. */
const SKEW_S = 60;

/** Three base64url parts: how a JWT is told from a token. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token);
}

/** Why GitHub refuses a JWT (its 401 message), or undefined when `jwt` is a valid token of the app. */
export function jwtProblem(jwt: string, app: { id: number; publicKey: KeyObject }, nowS = nowSeconds()) {
  const undecodable = 'A JSON web token could not be decoded';
  const [headerPart, payloadPart, signaturePart] = jwt.split('.');
  if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined) return undecodable;
  let header: { alg?: unknown };
  let payload: { iss?: unknown; exp?: unknown; iat?: unknown };
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as typeof payload;
  } catch {
    return undecodable;
  }
  if (header.alg !== 'RS256') return undecodable;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${headerPart}.${payloadPart}`);
  if (!verifier.verify(app.publicKey, Buffer.from(signaturePart, 'base64url'))) return undecodable;
  if (String(payload.iss) !== String(app.id)) return 'Integration not found';
  if (typeof payload.exp !== 'number' || payload.exp <= nowS) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  }
  if (payload.exp > nowS + MAX_LIFETIME_S + SKEW_S) return "'Expiration time' claim ('exp') is too far in the future";
  if (typeof payload.iat === 'number' && payload.iat > nowS + SKEW_S) {
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
  }
  return undefined;
}

/** A JWT for app `appId` signed with its private key, as @octokit/auth-app makes one (iat 60 s back, exp in 10 min). */
export function signAppJwt(appId: number, privateKeyPem: string, nowS = nowSeconds()): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: nowS - 60, exp: nowS + 540, iss: appId })}`;
  const signer = createSign('RSA-SHA256');
  signer.update(unsigned);
  return `${unsigned}.${signer.sign(privateKeyPem).toString('base64url')}`;
}

export function appPublicKey(pem: string): KeyObject {
  return createPublicKey(pem);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
