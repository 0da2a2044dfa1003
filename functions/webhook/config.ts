import { ConfigurationError } from '../lib/read-env.ts';
import { isLocalMode } from '../lib/local-mode.ts';
import * as z from '../lib/webhook/zod-mini.ts';

/*
 * zod/mini rather than classic zod (and so not lib/read-env.ts's readEnv, which is classic): the
 * webhook's cold start. The same rules and the same message as readEnv's.
 */

const RepoPattern = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_.-]+\/(?:[A-Za-z0-9_.-]+|\*)$/, 'expected owner/name or owner/*'));

/** Comma-separated items, trimmed, the empty ones dropped. */
const commaList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** An empty variable counts as unset. */
const unsetIfEmpty = z.transform((value: unknown) => (value === '' ? undefined : value));

const WebhookEnv = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  STATE_MACHINE_ARN: z
    .string()
    .check(z.regex(/^arn:[a-z-]+:states:[a-z0-9-]*:\d*:stateMachine:[A-Za-z0-9_.-]+$/, 'expected a state machine ARN')),
  /** Comma-separated `owner/name` or `owner/*`. */
  ALLOWED_REPOS: z.pipe(
    z.pipe(z.string(), z.transform(commaList)),
    z.array(RepoPattern).check(z.minLength(1, 'list at least one owner/name or owner/*')),
  ),
  /** Comma-separated paths the hook answers on; default: the local stack's and serverless.yml's. */
  WEBHOOK_PATH: z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((value: string | undefined) => (value === undefined ? undefined : commaList(value))),
    ),
    z.optional(
      z
        .array(z.string().check(z.regex(/^\/[A-Za-z0-9/_.-]*$/, 'expected a path such as /webhook')))
        .check(z.minLength(1)),
    ),
  ),
  /** The commands function (`/pushgate approve|reject|unlock|help`); unset: such comments are ignored with the reason. */
  COMMANDS_FUNCTION_NAME: z.pipe(
    unsetIfEmpty,
    z.optional(z.string().check(z.regex(/^[A-Za-z0-9_:.-]{1,170}$/, 'expected a Lambda function name or ARN'))),
  ),
  MAX_BODY_BYTES: z.pipe(unsetIfEmpty, z.optional(z.coerce.number().check(z.int(), z.positive()))),
});

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
  const parsed = WebhookEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  const { TABLE_NAME, STATE_MACHINE_ARN, ALLOWED_REPOS, MAX_BODY_BYTES, WEBHOOK_PATH, COMMANDS_FUNCTION_NAME } =
    parsed.data;
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
