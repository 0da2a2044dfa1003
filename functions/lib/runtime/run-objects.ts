import * as z from 'zod';
import { readEnv } from '../read-env.ts';
import { s3RunObjects, type RunObjects } from '../run/run-objects.ts';
import { s3Client } from './clients/s3.ts';

let objects: RunObjects | undefined;

/** The run's objects in `ARTIFACT_BUCKET` (chunks of targets, buildspecs), with the shared S3 client. */
export function runtimeRunObjects(): RunObjects {
  objects ??= s3RunObjects(s3Client(), readEnv({ ARTIFACT_BUCKET: z.string().min(1) }).ARTIFACT_BUCKET);
  return objects;
}

let buildspecs: RunObjects | undefined;

/** The buildspec bucket (`BUILDSPEC_BUCKET`), which the builds' roles may read. */
export function runtimeBuildspecObjects(): RunObjects {
  buildspecs ??= s3RunObjects(s3Client(), readEnv({ BUILDSPEC_BUCKET: z.string().min(1) }).BUILDSPEC_BUCKET);
  return buildspecs;
}
