import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import type { StartBuildInput } from '@aws-sdk/client-codebuild';
import { z } from 'zod';
import { listenOnLoopback, readBody, sendJson } from '../api-gateway/loopback-server.ts';
import { createLocalCodeBuild, type LocalCodeBuild, type LocalCodeBuildOptions } from './create-local-codebuild.ts';
import { LocalCodeBuildError } from './errors.ts';
import { toWire } from './to-wire.ts';

export interface StartCodeBuildOptions extends LocalCodeBuildOptions {
  port?: number;
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
 * real `@aws-sdk/client-codebuild` works against the local core (AWS_ENDPOINT_URL_CODEBUILD).
 * Timestamps go out as epoch seconds, as the awsJson protocols encode them.
 */
export async function startCodeBuild(options: StartCodeBuildOptions): Promise<LocalCodeBuildServer> {
  const codebuild = createLocalCodeBuild(options);
  const logger = options.logger ?? new Logger({ serviceName: 'pushgate-local-codebuild' });

  const operations: Record<string, (body: unknown) => Promise<unknown>> = {
    // The schema checks what the local build reads; the rest of the input passes through as sent.
    StartBuild: (body) => codebuild.startBuild(parse(StartBuild, body) as StartBuildInput),
    BatchGetBuilds: (body) => codebuild.batchGetBuilds(parse(BatchGetBuilds, body)),
    StopBuild: (body) => codebuild.stopBuild(parse(StopBuild, body)),
    ListBuildsForProject: (body) => codebuild.listBuildsForProject(parse(ListBuildsForProject, body)),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const reply = (status: number, body: unknown) =>
      sendJson(res, status, body, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId });
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? operations[target.slice(TARGET_PREFIX.length)] : undefined;
      if (req.method !== 'POST' || !operation) {
        await readBody(req, MAX_BODY).catch(() => undefined);
        reply(400, {
          __type: 'UnknownOperationException',
          message: `the local CodeBuild does not implement ${target || 'this request'}`,
        });
        return;
      }
      const text = (await readBody(req, MAX_BODY)).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        throw new LocalCodeBuildError('InvalidInputException', 'the request body is not JSON');
      }
      reply(200, toWire(await operation(body)));
    } catch (error) {
      if (error instanceof LocalCodeBuildError) {
        reply(400, { __type: error.code, message: error.message });
        return;
      }
      logger.error('local CodeBuild request failed', { error: error as Error });
      reply(500, { __type: 'InternalFailure', message: (error as Error).message });
    }
  }

  const server = await listenOnLoopback((req, res) => void handle(req, res), options.port ?? 0);
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

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new LocalCodeBuildError(
      'InvalidInputException',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}
