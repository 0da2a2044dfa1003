import { SFNClient } from '@aws-sdk/client-sfn';
import { captured } from './capture.ts';
import { lazy } from './lazy.ts';

/** Starts and describes executions of the deploy state machine (AWS_ENDPOINT_URL_SFN locally). */
export const sfnClient = lazy(() => captured(new SFNClient({})));
