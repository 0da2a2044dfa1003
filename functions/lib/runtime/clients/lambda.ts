import { LambdaClient } from '@aws-sdk/client-lambda';
import { lazy } from './lazy.ts';

/** Invokes other pushgate functions (AWS_ENDPOINT_URL_LAMBDA locally). */
export const lambdaClient = lazy(() => new LambdaClient({}));
