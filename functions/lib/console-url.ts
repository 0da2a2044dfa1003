/**
 * The Step Functions console page of one execution. The region is the ARN's fourth field.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html
 */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] || 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}
