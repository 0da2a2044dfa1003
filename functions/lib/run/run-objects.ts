import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RunStepError } from './errors.ts';

/** A run's object is not in the artifact bucket (expired, or never written): the run cannot go on. */
export class RunObjectMissingError extends RunStepError {}

/**
 * The run's objects in the artifact bucket that the workflow refers to instead of carrying them in its
 * state: the chunks of targets Validate stores and LoadTargets reads, and the buildspecs CodeBuild reads
 * (BuildspecOverride `arn:aws:s3:::bucket/key`). The narrow interface Validate and LoadTargets need.
 */
export interface RunObjects {
  /** The bucket, for the `arn:aws:s3:::<bucket>/<key>` CodeBuild is given. */
  readonly bucket: string;
  put(key: string, body: string, contentType: string): Promise<void>;
  /** The object's text; RunObjectMissingError when there is none. */
  get(key: string): Promise<string>;
}

export function s3RunObjects(s3: Pick<S3Client, 'send'>, bucket: string): RunObjects {
  return {
    bucket,
    async put(key, body, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async get(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await response.Body?.transformToString('utf8')) ?? '';
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
          throw new RunObjectMissingError(`s3://${bucket}/${key} does not exist`, { cause: error });
        throw error;
      }
    },
  };
}
