import * as z from 'zod';
import { createArtifactLinks, type ArtifactLinks } from '../plan/artifact-links.ts';
import { readEnv } from '../read-env.ts';
import { s3Client } from './clients/s3.ts';

let links: ArtifactLinks | undefined;

/** Presigned links to the plan artifacts in `ARTIFACT_BUCKET`, built on first use with the shared S3 client. */
export function runtimeArtifactLinks(): ArtifactLinks {
  links ??= createArtifactLinks(s3Client(), readEnv({ ARTIFACT_BUCKET: z.string().min(1) }).ARTIFACT_BUCKET);
  return links;
}
