import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { formatProblem } from '../config/config-problem.ts';
import { parseYamlWith } from '../config/parse-config.ts';
import { isLocalMode } from '../secrets.ts';
import { PlatformPolicy } from './platform-policy.ts';
import { PolicyError } from './policy-error.ts';

/** Cached per warm Lambda for this long: an operator's change applies within a minute. */
const MAX_AGE_SECONDS = 60;

/** Where the policy came from, for messages that tell the operator what to change. */
export interface LoadedPolicy {
  policy: PlatformPolicy;
  source: string;
}

/**
 * The platform policy: the SSM parameter named by `POLICY_PARAMETER` on AWS (a String or
 * SecureString holding YAML or JSON), or the YAML in `PUSHGATE_POLICY` on the local stack only
 * (`PUSHGATE_LOCAL=1`), as secrets are. Without one nothing deploys, and the error says what to set.
 */
export async function readPolicy(env: NodeJS.ProcessEnv = process.env): Promise<LoadedPolicy> {
  const direct = env.PUSHGATE_POLICY;
  const parameter = env.POLICY_PARAMETER;
  if (direct !== undefined && direct !== '') {
    if (!isLocalMode(env)) {
      throw new PolicyError(
        'PUSHGATE_POLICY is only read on the local stack; on AWS set POLICY_PARAMETER to an SSM parameter',
      );
    }
    return { policy: parsePolicy(direct, 'PUSHGATE_POLICY'), source: 'PUSHGATE_POLICY' };
  }
  if (parameter === undefined || parameter === '') {
    throw new PolicyError(
      'no platform policy: store one in the SSM parameter /pushgate/<stage>/policy (see docs/architecture.md, "Platform policy")',
    );
  }
  let text: string | undefined;
  try {
    text = await getParameter(parameter, { decrypt: true, maxAge: MAX_AGE_SECONDS });
  } catch (error) {
    throw new PolicyError(`could not read the platform policy ${parameter}`, { cause: error });
  }
  if (text === undefined || text === '') throw new PolicyError(`the platform policy ${parameter} is empty`);
  return { policy: parsePolicy(text, parameter), source: parameter };
}

/** YAML or JSON text → policy, or a PolicyError listing every problem with its line. */
export function parsePolicy(text: string, source: string): PlatformPolicy {
  const parsed = parseYamlWith(PlatformPolicy, text);
  if (parsed.ok) return parsed.value;
  const count = parsed.problems.length === 1 ? '1 problem' : `${parsed.problems.length} problems`;
  throw new PolicyError(
    [`the platform policy (${source}) has ${count}:`, ...parsed.problems.map(formatProblem)].join('\n'),
  );
}
