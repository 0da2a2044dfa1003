import { S3Client } from '@aws-sdk/client-s3';
import { lazy } from './lazy.ts';

/**
 * Reads plan artifacts. A local S3 server has no per-bucket DNS names, hence path style whenever
 * AWS_ENDPOINT_URL_S3 points the SDK somewhere else.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export const s3Client = lazy(() => new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }));
