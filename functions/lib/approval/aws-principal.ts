/**
 * AWS identities of CLI approvers (the ARN STS GetCallerIdentity proves), compared as IAM names them.
 *
 * A caller that assumed a role is `arn:aws:sts::<account>:assumed-role/<role>/<session>`: it is taken
 * for the role, `arn:aws:iam::<account>:role/<role>`. The session name is chosen by whoever assumes
 * the role, so it is never trusted: every session of a role is that role. A role's path is not part
 * of an assumed-role ARN, so a role ARN is compared without its path (role names are unique in an
 * account whatever their path). Any other ARN (an IAM user, with its path) is compared exactly.
 */
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{1,64}$/;
const ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;

export function normaliseAwsPrincipal(arn: string): string {
  const match = ASSUMED_ROLE.exec(arn) ?? ROLE.exec(arn);
  if (!match) return arn;
  const [, partition, account, role] = match;
  return `arn:${partition}:iam::${account}:role/${role}`;
}

export function sameAwsPrincipal(a: string, b: string): boolean {
  return normaliseAwsPrincipal(a) === normaliseAwsPrincipal(b);
}

/**
 * The GitHub login the platform policy's `awsPrincipals` maps this caller to (its keys compared as
 * normalised above); undefined when none does, or when two entries map it to different logins.
 */
export function awsPrincipalLogin(arn: string, principals: Readonly<Record<string, string>>): string | undefined {
  const logins = new Set<string>();
  for (const [entry, login] of Object.entries(principals)) if (sameAwsPrincipal(entry, arn)) logins.add(login);
  return logins.size === 1 ? [...logins][0] : undefined;
}
