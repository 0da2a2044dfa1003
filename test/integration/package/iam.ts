import { readFileSync } from 'node:fs';
import { runSimulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, type TemplateResolver } from './cloudformation.ts';

/**
 * The AWS managed policy ReadOnlyAccess (version v188, last updated 2026-07-21), as IAM serves it:
 * the plan runner's permissions are only meaningful against the real list of reads.
 */
const READ_ONLY_ACCESS: unknown = JSON.parse(readFileSync(new URL('read-only-access.json', import.meta.url), 'utf8'));

const AWS_MANAGED: Record<string, unknown> = {
  'arn:aws:iam::aws:policy/ReadOnlyAccess': READ_ONLY_ACCESS,
};

interface RoleProperties {
  Policies?: { PolicyName: string; PolicyDocument: unknown }[];
  ManagedPolicyArns?: string[];
}

/** Every identity policy of a role of the template, resolved: inline, customer managed and AWS managed. */
export function rolePolicies(resolver: TemplateResolver, roleId: string): SimulationIdentityPolicy[] {
  const role = resolver.resource(roleId);
  if (role.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is a ${role.Type}, not a role`);
  const properties = resolver.resolve(role.Properties) as RoleProperties;
  const inline = (properties.Policies ?? []).map((policy) => ({
    name: policy.PolicyName,
    policy: policy.PolicyDocument,
  }));
  const managed = (properties.ManagedPolicyArns ?? []).map((arn) => ({
    name: arn,
    policy: managedPolicy(resolver, arn),
  }));
  // Policies that name the role themselves (a ManagedPolicy's or a Policy's Roles) apply as well.
  const roleName = resolver.ref(roleId);
  const attached = Object.entries(resolver.template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::Policy')
    .filter(([, resource]) => {
      const roles =
        resource.Properties.Roles === undefined ? [] : (resolver.resolve(resource.Properties.Roles) as string[]);
      return roles.includes(roleName);
    })
    .map(([logicalId, resource]) => ({
      name: logicalId,
      policy: resolver.resolve(resource.Properties.PolicyDocument),
    }));
  return [...inline, ...managed, ...attached];
}

export function managedPolicy(resolver: TemplateResolver, arn: string): unknown {
  const aws = AWS_MANAGED[arn];
  if (aws) return aws;
  for (const [logicalId, resource] of Object.entries(resolver.template.Resources)) {
    if (resource.Type === 'AWS::IAM::ManagedPolicy' && resolver.ref(logicalId) === arn) {
      return resolver.resolve(resource.Properties.PolicyDocument);
    }
  }
  throw new Error(`managed policy ${arn} is neither in the template nor a known AWS managed policy`);
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface Request {
  action: string;
  resource: string;
  /** The resource's account, when it is not the stack's (a cross-account role). */
  resourceAccount?: string;
  resourcePolicy?: unknown;
  context?: Record<string, string | string[]>;
}

/** How IAM decides `request` made with a role of the template's credentials. */
export function decide(resolver: TemplateResolver, roleId: string, request: Request): Promise<Decision> {
  return decideFor(resolver.getAtt(roleId, 'Arn'), rolePolicies(resolver, roleId), request);
}

/** How IAM decides `request` made by `principal` whose identity policies are `policies`. */
export async function decideFor(
  principal: string,
  policies: SimulationIdentityPolicy[],
  request: Request,
): Promise<Decision> {
  const response = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`cannot simulate ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`);
  }
  // A context key the simulator does not know for this action would be dropped silently, and a
  // condition on it judged as if it were missing: refuse rather than answer something else.
  const results = response.resultType === 'single' ? [response.result] : response.results;
  const ignored = results.flatMap((result) => result.ignoredContextKeys ?? []);
  if (ignored.length > 0) throw new Error(`the simulator ignores ${ignored.join(', ')} for ${request.action}`);
  return response.overallResult as Decision;
}
