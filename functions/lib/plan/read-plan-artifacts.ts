import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { PlanArtifactMissingError, PlanIntegrityError } from './errors.ts';

export interface PlanArtifacts {
  /** Key of the artifact Apply runs (`<prefix>/plan.bin`). */
  planKey: string;
  /** sha256 (hex) of plan.bin's bytes: what Apply must find again. */
  planSha256: string;
  planBytes: number;
  /** The S3 version read, when the bucket is versioned (it is: infra/artifacts.yml). */
  planVersionId?: string;
  /** plan.json's text, or undefined when the plan build wrote none. */
  planJson?: string;
}

/**
 * The sha256 (hex) of each artifact as its plan build uploaded it (the build's exported variables).
 * `planJsonSha256` absent: the build uploaded no plan.json, so any plan.json found is not its own.
 */
export interface UploadedShas {
  planSha256: string;
  planJsonSha256?: string;
}

/**
 * Reads the two files a plan build leaves under `<prefix>/`: plan.bin is hashed as it streams (a
 * Terraform plan of a big workspace runs to many megabytes), plan.json is read whole. With
 * `uploaded`, each must hash to what the build uploaded: every plan build may write under `runs/`,
 * so another run's build could have replaced them between this run's upload and this read.
 */
export async function readPlanArtifacts(
  s3: S3Client,
  bucket: string,
  prefix: string,
  uploaded?: UploadedShas,
): Promise<PlanArtifacts> {
  const planKey = `${prefix}/plan.bin`;
  const plan = await getObject(s3, bucket, planKey);
  if (!plan)
    throw new PlanArtifactMissingError(
      `s3://${bucket}/${planKey} does not exist: the plan build did not upload its plan`,
    );
  const hash = createHash('sha256');
  let planBytes = 0;
  for await (const chunk of plan.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    planBytes += chunk.byteLength;
  }
  const planSha256 = hash.digest('hex');
  if (uploaded) checkSha256(planKey, uploaded.planSha256, planSha256);

  const planJson =
    uploaded && uploaded.planJsonSha256 === undefined ? undefined : await readPlanJson(s3, bucket, prefix, uploaded);
  return {
    planKey,
    planSha256,
    planBytes,
    ...(plan.VersionId ? { planVersionId: plan.VersionId } : {}),
    ...(planJson === undefined ? {} : { planJson }),
  };
}

async function readPlanJson(
  s3: S3Client,
  bucket: string,
  prefix: string,
  uploaded: UploadedShas | undefined,
): Promise<string | undefined> {
  const key = `${prefix}/plan.json`;
  const json = await getObject(s3, bucket, key);
  if (!json) {
    if (uploaded?.planJsonSha256 !== undefined)
      throw new PlanIntegrityError(
        `${key} changed between the plan build and its review: the build uploaded sha256 ${short(uploaded.planJsonSha256)}, the bucket now holds none`,
      );
    return undefined;
  }
  const bytes = await json.Body.transformToByteArray();
  if (uploaded?.planJsonSha256 !== undefined)
    checkSha256(key, uploaded.planJsonSha256, createHash('sha256').update(bytes).digest('hex'));
  return new TextDecoder().decode(bytes);
}

function checkSha256(key: string, uploaded: string, actual: string): void {
  if (uploaded.toLowerCase() === actual) return;
  throw new PlanIntegrityError(
    `${key} changed between the plan build and its review: the build uploaded sha256 ${short(uploaded)}, the bucket holds ${short(actual)}`,
  );
}

/** The first 12 hex digits, as a person compares them. */
function short(sha256: string): string {
  return sha256.slice(0, 12);
}

async function getObject(s3: S3Client, bucket: string, key: string) {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = response.Body;
    if (!body) throw new Error(`s3://${bucket}/${key} has no body`);
    return { Body: body, VersionId: response.VersionId };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
