import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

// Requests to the local AWS stand-ins made by hand, as an attacker (or a careless client) would: any
// Host header, signed or not, with any credentials. Signing uses the AWS SDK's own signer.

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RawRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The Host header to send (and sign); default the URL's `host`. */
  host?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 / HMAC-SHA256 from node:crypto in the shape @smithy/signature-v4 takes. */
class Sha256 {
  private hash: Hash | Hmac;
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

/** `input` with the SigV4 headers (Authorization, X-Amz-Date, X-Amz-Content-Sha256) the SDK would add. */
export async function signed(
  input: RawRequest,
  options: {
    credentials: Credentials;
    service: string;
    region?: string;
    signingDate?: Date;
    /** Send the body's sha256 in X-Amz-Content-Sha256 (the SDK's default); without it only the signature covers the body. */
    applyChecksum?: boolean;
  },
): Promise<RawRequest> {
  const url = new URL(input.url);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region ?? 'us-east-1',
    service: options.service,
    sha256: Sha256,
    uriEscapePath: options.service !== 's3',
    applyChecksum: options.applyChecksum ?? true,
  });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, name) => (query[name] = value));
  const result = await signer.sign(
    {
      method: input.method ?? 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { ...input.headers, host: input.host ?? url.host },
      body: input.body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return { ...input, headers: result.headers as Record<string, string> };
}

/** Sends `input` as it is (its Host header too) over plain HTTP and reads the whole answer. */
export function send(input: RawRequest): Promise<RawResponse> {
  const url = new URL(input.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        method: input.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        headers: { ...input.headers, host: input.host ?? input.headers?.host ?? url.host },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(input.body);
  });
}
