import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { captured } from './capture.ts';
import { lazy } from './lazy.ts';

/** Stops the apply builds of a stopped execution (AWS_ENDPOINT_URL_CODEBUILD locally). */
export const codeBuildClient = lazy(() => captured(new CodeBuildClient({})));
