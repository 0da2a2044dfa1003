import { randomBytes, randomInt } from 'node:crypto';

/**
 * The AWS credentials of one local stack: every AWS stand-in answers only requests signed with them
 * (local/aws/verify-request.ts), and `pushgate dev` prints them in its exports.
 */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Fresh random credentials, shaped like AWS's: a 20-character access key id (`LOCAL` and 15 random
 * upper-case letters and digits, so it reads as this stack's) and a 40-character secret.
 */
export function createLocalCredentials(): LocalCredentials {
  let suffix = '';
  for (let i = 0; i < 15; i++) suffix += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return { accessKeyId: `LOCAL${suffix}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/** Credentials as read back from a file: the two fields, non-empty and printable. */
export function isLocalCredentials(value: unknown): value is LocalCredentials {
  if (typeof value !== 'object' || value === null) return false;
  const { accessKeyId, secretAccessKey } = value as Record<string, unknown>;
  return (
    typeof accessKeyId === 'string' &&
    /^[A-Z0-9]{16,128}$/.test(accessKeyId) &&
    typeof secretAccessKey === 'string' &&
    /^[A-Za-z0-9/+=]{16,128}$/.test(secretAccessKey)
  );
}
