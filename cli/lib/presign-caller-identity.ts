import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { CALLER_INTENT_HEADER } from '../../functions/lib/approval/caller-intent.ts';

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 / HMAC-SHA256 from node:crypto in the shape @smithy/signature-v4 takes. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/**
 * A GetCallerIdentity request presigned with the caller's credentials (the SDK's usual chain), valid
 * for a minute: the approve and rollback functions send it to STS to learn, not be told, who calls.
 * It signs the `x-pushgate-intent` header with `intent` (callerIntent of the request it goes with), so
 * it proves the caller for that one request only. STS is `AWS_ENDPOINT_URL_STS` when set (the local
 * stack's stand-in), else the region's endpoint.
 */
export async function presignCallerIdentity(intent: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const client = new STSClient({});
  try {
    const region = await client.config.region();
    const endpoint = new URL(env.AWS_ENDPOINT_URL_STS || `https://sts.${region}.amazonaws.com`);
    const signer = new SignatureV4({ credentials: client.config.credentials, region, service: 'sts', sha256: Sha256 });
    const query = { Action: 'GetCallerIdentity', Version: '2011-06-15' };
    const signed = await signer.presign(
      {
        method: 'GET',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
        path: '/',
        query,
        headers: { host: endpoint.host, [CALLER_INTENT_HEADER]: intent },
      },
      { expiresIn: 60 },
    );
    const url = new URL('/', endpoint);
    for (const [name, value] of Object.entries(signed.query ?? {})) {
      if (typeof value === 'string') url.searchParams.set(name, value);
    }
    return url.toString();
  } finally {
    client.destroy();
  }
}
