import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/**
 * Presigned URLs of one plan artifact. Builds have no access to the artifact bucket at all (their
 * roles are denied it): each gets the URLs of its own target's artifacts from the workflow, so a
 * build can neither read another run's plan (which may hold secrets) nor overwrite it. A URL made
 * with a Lambda's temporary credentials stops working when those do, whatever its own expiry.
 */
export interface ArtifactLinks {
  /** PUT URL for the plan build's upload. */
  uploadUrl(key: string): Promise<string>;
  /** GET URL for the apply build's download. */
  downloadUrl(key: string): Promise<string>;
}

/** A plan build may queue 30 min and run 60 (infra/codebuild.yml) before it uploads. */
const UPLOAD_SECONDS = 2 * 3600;
/** An apply build downloads first thing, after at most 30 min in the queue. */
const DOWNLOAD_SECONDS = 3600;

export function createArtifactLinks(s3: S3Client, bucket: string): ArtifactLinks {
  return {
    uploadUrl: (key) =>
      getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: UPLOAD_SECONDS }),
    downloadUrl: (key) =>
      getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: DOWNLOAD_SECONDS }),
  };
}
