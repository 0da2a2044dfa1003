import { readFile } from 'node:fs/promises';
import { PolicyError } from '../../../functions/lib/policy/policy-error.ts';
import { parsePolicy, type LoadedPolicy } from '../../../functions/lib/policy/read-policy.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import { describeFailure } from '../describe-failure.ts';

export interface PolicyOptions {
  /** `--policy-file`: the policy as a local YAML or JSON file. */
  policyFile?: string | undefined;
  /** `--stage`: read `/pushgate/<stage>/policy` from SSM. */
  stage?: string | undefined;
}

export type PolicyLookup = { loaded: LoadedPolicy } | { unavailable: string };

/** Reads an SSM parameter's value (decrypted); undefined when there is no such parameter. */
export type ReadParameter = (name: string) => Promise<string | undefined>;

const LOOPBACK = /^https?:\/\/(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])(?::\d+)?\/?$/i;

/**
 * The platform policy a run would be checked against, from the first of:
 * 1. `--policy-file <path>` (a missing or wrong file is a usage error: the user named it);
 * 2. `PUSHGATE_POLICY` (the YAML itself, as the local stack's functions read it);
 * 3. SSM: `POLICY_PARAMETER`, else `/pushgate/<stage>/policy` with `--stage` or `PUSHGATE_STAGE`
 *    (where `pushgate setup --policy-file` stores it and Validate reads it);
 * 4. the local stack (`pushgate dev`'s exports point DynamoDB at loopback): its built-in policy
 *    (local/local-policy.ts), which `pushgate dev` always runs with.
 * When none is reachable (or SSM says no), `unavailable` says why and what to pass.
 */
export async function loadPolicy(
  options: PolicyOptions,
  env: NodeJS.ProcessEnv = process.env,
  readParameter: ReadParameter = readSsmParameter,
): Promise<PolicyLookup> {
  if (options.policyFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.policyFile, 'utf8');
    } catch (error) {
      throw new CliUsageError(`cannot read the policy file ${options.policyFile}: ${describeReadError(error)}`, {
        cause: error,
      });
    }
    try {
      return { loaded: { policy: parsePolicy(text, options.policyFile), source: options.policyFile } };
    } catch (error) {
      if (error instanceof PolicyError) throw new CliUsageError(error.message, { cause: error });
      throw error;
    }
  }

  if (env.PUSHGATE_POLICY) return parsed(env.PUSHGATE_POLICY, 'PUSHGATE_POLICY');

  const stage = options.stage ?? env.PUSHGATE_STAGE;
  const parameter = env.POLICY_PARAMETER || (stage ? `/pushgate/${stage}/policy` : undefined);
  if (parameter) {
    let text: string | undefined;
    try {
      text = await readParameter(parameter);
    } catch (error) {
      return { unavailable: `could not read the platform policy ${parameter}: ${describeFailure(error)}` };
    }
    if (!text) {
      return {
        unavailable: `there is no platform policy in ${parameter}: nothing deploys there until an operator stores one (pushgate setup --policy-file)`,
      };
    }
    return parsed(text, parameter);
  }

  if (env.AWS_ENDPOINT_URL_DYNAMODB && LOOPBACK.test(env.AWS_ENDPOINT_URL_DYNAMODB)) {
    const { LOCAL_POLICY } = await import('../../../local/local-policy.ts');
    return parsed(LOCAL_POLICY, "pushgate dev's policy");
  }

  return {
    unavailable:
      'no platform policy reachable: pass --stage <stage> (or set PUSHGATE_STAGE) to read /pushgate/<stage>/policy, or --policy-file <path>',
  };
}

/** A policy someone else stores: when it is wrong, that is said, and the rest is checked. */
function parsed(text: string, source: string): PolicyLookup {
  try {
    return { loaded: { policy: parsePolicy(text, source), source } };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { unavailable: `${error.message.split('\n').join(' ')} (an operator fixes it)` };
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** SSM GetParameter with the SDK's usual configuration (AWS_ENDPOINT_URL_SSM included), bounded in time. */
async function readSsmParameter(name: string): Promise<string | undefined> {
  const { SSMClient, GetParameterCommand, ParameterNotFound } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  try {
    const { Parameter } = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return Parameter?.Value;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}
