import { S3Client } from '@aws-sdk/client-s3';
import { captured } from './capture.ts';
import { lazy } from './lazy.ts';

/**
 * Reads plan artifacts. A local S3 server has no per-bucket DNS names, hence path style whenever
 * AWS_ENDPOINT_URL_S3 points the SDK somewhere else.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export const s3Client = lazy(() =>
  captured(
    new S3Client({
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
      // Checksums only where S3 requires them: otherwise a presigned PUT URL carries the checksum of an
      // empty body, and the build's upload of the real plan is refused.
      // https://github.com/aws/aws-sdk-js-v3/issues/6810
      requestChecksumCalculation: 'WHEN_REQUIRED',
    }),
  ),
);
