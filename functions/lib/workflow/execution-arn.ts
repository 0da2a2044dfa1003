import { WorkflowError } from './errors.ts';

/**
 * `arn:<partition>:states:<region>:<account>:stateMachine:<name>` →
 * `arn:<partition>:states:<region>:<account>:execution:<name>:<executionName>`.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html#awsstepfunctions-resources-for-iam-policies
 */
export function executionArn(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== 'stateMachine' || !parts[6]) {
    throw new WorkflowError(`not a state machine ARN: ${stateMachineArn}`);
  }
  parts[5] = 'execution';
  return `${parts.join(':')}:${executionName}`;
}
