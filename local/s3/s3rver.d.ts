// s3rver ships no types; this is the part of its API pushgate uses (README: https://github.com/jamhall/s3rver).
declare module 's3rver' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    httpServer?: Server;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Creates the `configureBuckets` buckets without starting a server. */
    configureBuckets(): Promise<void>;
    /** Koa's request listener (S3rver is a Koa application). */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
