import * as z from 'zod';
import { ConfigurationError, readEnv } from '../lib/read-env.ts';
import { isLocalMode } from '../lib/local-mode.ts';

const RepoPattern = z.string().regex(/^[A-Za-z0-9_.-]+\/(?:[A-Za-z0-9_.-]+|\*)$/, 'expected owner/name or owner/*');

const WEBHOOK_ENV = {
  TABLE_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:[a-z-]+:states:[a-z0-9-]*:\d*:stateMachine:[A-Za-z0-9_.-]+$/, 'expected a state machine ARN'),
  /** Comma-separated `owner/name` or `owner/*`. */
  ALLOWED_REPOS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(RepoPattern).min(1, 'list at least one owner/name or owner/*')),
  /** Comma-separated paths the hook answers on; default: the local stack's and serverless.yml's. */
  WEBHOOK_PATH: z
    .string()
    .optional()
    .transform((value) =>
      value
        ?.split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'expected a path such as /webhook'))
        .min(1)
        .optional(),
    ),
  /** The commands function (`/pushgate approve|reject|unlock|help`); unset: such comments are ignored with the reason. */
  COMMANDS_FUNCTION_NAME: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,170}$/, 'expected a Lambda function name or ARN')
      .optional(),
  ),
  MAX_BODY_BYTES: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.coerce.number().int().positive().optional(),
  ),
};

export interface WebhookConfig {
  tableName: string;
  stateMachineArn: string;
  allowedRepos: string[];
  maxBodyBytes?: number;
  paths?: string[];
  commandsFunctionName?: string;
}

/**
 * The webhook function's configuration, checked once at cold start so a bad deployment fails there,
 * naming the variable, instead of on each delivery. The secrets themselves are read on first use.
 */
export function readWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const { TABLE_NAME, STATE_MACHINE_ARN, ALLOWED_REPOS, MAX_BODY_BYTES, WEBHOOK_PATH, COMMANDS_FUNCTION_NAME } =
    readEnv(WEBHOOK_ENV, env);
  const hasValue = !!env.WEBHOOK_SECRET;
  if (!hasValue && !env.WEBHOOK_SECRET_PARAMETER) {
    throw new ConfigurationError(
      'invalid environment: WEBHOOK_SECRET_PARAMETER is required (or WEBHOOK_SECRET in local mode)',
    );
  }
  if (hasValue && !isLocalMode(env)) {
    throw new ConfigurationError(
      'invalid environment: WEBHOOK_SECRET is only read in local mode (PUSHGATE_LOCAL=1); set WEBHOOK_SECRET_PARAMETER',
    );
  }
  return {
    tableName: TABLE_NAME,
    stateMachineArn: STATE_MACHINE_ARN,
    allowedRepos: ALLOWED_REPOS,
    ...(MAX_BODY_BYTES === undefined ? {} : { maxBodyBytes: MAX_BODY_BYTES }),
    ...(WEBHOOK_PATH === undefined || WEBHOOK_PATH.length === 0 ? {} : { paths: WEBHOOK_PATH }),
    ...(COMMANDS_FUNCTION_NAME === undefined ? {} : { commandsFunctionName: COMMANDS_FUNCTION_NAME }),
  };
}
