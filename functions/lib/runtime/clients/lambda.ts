import { LambdaClient } from '@aws-sdk/client-lambda';
import { captured } from './capture.ts';
import { lazy } from './lazy.ts';

/** Invokes other pushgate functions (AWS_ENDPOINT_URL_LAMBDA locally). */
export const lambdaClient = lazy(() => captured(new LambdaClient({})));
