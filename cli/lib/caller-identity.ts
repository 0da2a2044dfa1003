import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PushgateError } from '../../functions/lib/errors.ts';

/** STS answered without an ARN. */
export class CallerIdentityError extends PushgateError {}

/**
 * The caller's AWS identity as STS says it (GetCallerIdentity needs no permission): what an unlock is
 * recorded under. `AWS_ENDPOINT_URL_STS` points it at the local stack's STS, which answers with the
 * local user's ARN. `$USER` is not an identity: anyone can set it.
 */
export async function callerArn(client?: STSClient): Promise<string> {
  const sts = client ?? new STSClient({});
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Arn) throw new CallerIdentityError('STS GetCallerIdentity answered without an ARN');
    return Arn;
  } finally {
    if (!client) sts.destroy();
  }
}
