import { S3Client } from '@aws-sdk/client-s3';

let client: S3Client | undefined;

/**
 * The S3 client of this Lambda, created once. The endpoint comes from the SDK's own configuration
 * (AWS_ENDPOINT_URL_S3 locally); a local S3 server has no per-bucket DNS names, hence path style
 * whenever that variable points the SDK somewhere else.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function defaultS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  client ??= new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) });
  return client;
}
