import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { PlanArtifactMissingError } from './errors.ts';

export interface PlanArtifacts {
  /** Key of the artifact Apply runs (`<prefix>/plan.bin`). */
  planKey: string;
  /** sha256 (hex) of plan.bin's bytes: what Apply must find again. */
  planSha256: string;
  planBytes: number;
  /** plan.json's text, or undefined when the plan build wrote none. */
  planJson?: string;
}

/**
 * Reads the two files a plan build leaves under `<prefix>/`: plan.bin is hashed as it streams (a
 * Terraform plan of a big workspace runs to many megabytes), plan.json is read whole.
 */
export async function readPlanArtifacts(s3: S3Client, bucket: string, prefix: string): Promise<PlanArtifacts> {
  const planKey = `${prefix}/plan.bin`;
  const plan = await getObject(s3, bucket, planKey);
  if (!plan)
    throw new PlanArtifactMissingError(
      `s3://${bucket}/${planKey} does not exist: the plan build did not upload its plan`,
    );
  const hash = createHash('sha256');
  let planBytes = 0;
  for await (const chunk of plan as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    planBytes += chunk.byteLength;
  }
  const json = await getObject(s3, bucket, `${prefix}/plan.json`);
  return {
    planKey,
    planSha256: hash.digest('hex'),
    planBytes,
    ...(json ? { planJson: await json.transformToString('utf8') } : {}),
  };
}

async function getObject(s3: S3Client, bucket: string, key: string) {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return response.Body;
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
