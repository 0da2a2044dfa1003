import { Logger } from '@aws-lambda-powertools/logger';
import type { StartBuildInput } from '@aws-sdk/client-codebuild';
import { z } from 'zod';
import { listenOnLoopback } from '../http/loopback-server.ts';
import { awsJsonListener, parseInput } from '../aws/aws-json-listener.ts';
import type { LocalCredentials } from '../aws/local-credentials.ts';
import { createLocalCodeBuild, type LocalCodeBuild, type LocalCodeBuildOptions } from './create-local-codebuild.ts';
import { LocalCodeBuildError } from './errors.ts';

export interface StartCodeBuildOptions extends LocalCodeBuildOptions {
  port?: number;
  /** The only credentials whose requests are answered (the local stack's): StartBuild runs bash. */
  credentials: LocalCredentials;
  logger?: Pick<Logger, 'error'>;
}

export interface LocalCodeBuildServer {
  url: string;
  /** What the stack sets so the AWS SDK (and the local Step Functions) reach this endpoint. */
  env: { AWS_ENDPOINT_URL_CODEBUILD: string };
  codebuild: LocalCodeBuild;
  /** Stops running builds, then the listener. */
  stop(): Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'CodeBuild_20161006.';
const MAX_BODY = 1024 * 1024;

// The request shapes the SDK sends (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html).
const EnvironmentVariable = z.object({
  name: z.string().min(1),
  value: z.string(),
  type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']).optional(),
});
const StartBuild = z.looseObject({
  projectName: z.string().min(1),
  sourceVersion: z.string().optional(),
  sourceLocationOverride: z.string().optional(),
  sourceTypeOverride: z.string().optional(),
  buildspecOverride: z.string().optional(),
  environmentVariablesOverride: z.array(EnvironmentVariable).optional(),
  timeoutInMinutesOverride: z.number().positive().optional(),
  queuedTimeoutInMinutesOverride: z.number().positive().optional(),
  // Checked against CodeBuild's values by the core (resolveBuildEnvironment), with CodeBuild's message.
  environmentTypeOverride: z.string().optional(),
  computeTypeOverride: z.string().optional(),
  imageOverride: z.string().optional(),
  serviceRoleOverride: z.string().optional(),
});
const BatchGetBuilds = z.object({ ids: z.array(z.string()).min(1).max(100) });
const StopBuild = z.object({ id: z.string().min(1) });
const ListBuildsForProject = z.object({
  projectName: z.string().min(1),
  sortOrder: z.enum(['ASCENDING', 'DESCENDING']).optional(),
  nextToken: z.string().optional(),
});

/**
 * CodeBuild's JSON 1.1 endpoint on 127.0.0.1 for StartBuild, BatchGetBuilds and StopBuild, so the
 * real `@aws-sdk/client-codebuild` works against the local core (AWS_ENDPOINT_URL_CODEBUILD), for
 * requests signed with `credentials` and addressed to a loopback host only.
 * Timestamps go out as epoch seconds, as the awsJson protocols encode them.
 */
export async function startCodeBuild(options: StartCodeBuildOptions): Promise<LocalCodeBuildServer> {
  const codebuild = createLocalCodeBuild(options);
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-codebuild' });

  const invalidInput = (message: string) => new LocalCodeBuildError('InvalidInputException', message);
  const listener = awsJsonListener({
    service: 'CodeBuild',
    signingName: 'codebuild',
    credentials: options.credentials,
    targetPrefix: TARGET_PREFIX,
    contentType: CONTENT_TYPE,
    maxBodyBytes: MAX_BODY,
    // The schema checks what the local build reads; the rest of the input passes through as sent.
    operations: {
      StartBuild: (body) => codebuild.startBuild(parseInput(StartBuild, body, invalidInput) as StartBuildInput),
      BatchGetBuilds: (body) => codebuild.batchGetBuilds(parseInput(BatchGetBuilds, body, invalidInput)),
      StopBuild: (body) => codebuild.stopBuild(parseInput(StopBuild, body, invalidInput)),
      ListBuildsForProject: (body) =>
        codebuild.listBuildsForProject(parseInput(ListBuildsForProject, body, invalidInput)),
    },
    isServiceError: (error): error is LocalCodeBuildError => error instanceof LocalCodeBuildError,
    invalidInput,
    logger,
  });

  const server = await listenOnLoopback(listener, options.port ?? 0);
  return {
    url: server.url,
    env: { AWS_ENDPOINT_URL_CODEBUILD: server.url },
    codebuild,
    async stop() {
      await codebuild.close();
      await server.stop();
    },
  };
}
