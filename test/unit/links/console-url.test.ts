import { describe, expect, it } from 'vitest';
import { consoleUrl, isUrl, runLink, showRunCommand } from '../../../functions/lib/console-url.ts';

const AWS_EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:pushgate-prod-deploy:infra-push-0123456-d1';
const LOCAL_EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:pushgate-local-deploy:infra-push-abcdef0-d2';
const AWS_CONSOLE = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(AWS_EXECUTION)}`;

describe('runLink: where a person follows a run', () => {
  it("is the execution's Step Functions console page, in the ARN's region, on AWS", () => {
    expect(runLink({ executionArn: AWS_EXECUTION, runId: '01M8RUN' }, {})).toBe(AWS_CONSOLE);
    expect(consoleUrl(AWS_EXECUTION)).toBe(AWS_CONSOLE);
    expect(isUrl(AWS_CONSOLE)).toBe(true);
  });

  it('is the command that shows the run on the local stack (PUSHGATE_LOCAL=1), which has no console', () => {
    const local = { PUSHGATE_LOCAL: '1' };
    expect(runLink({ executionArn: LOCAL_EXECUTION, runId: '01M8RUN' }, local)).toBe('pushgate run 01M8RUN');
    expect(showRunCommand('01M8RUN')).toBe('pushgate run 01M8RUN');
    // Whatever the ARN: locally every run is shown by the command.
    expect(runLink({ executionArn: AWS_EXECUTION, runId: 'other' }, local)).toBe('pushgate run other');
    expect(isUrl('pushgate run 01M8RUN')).toBe(false);
  });

  it('reads the mode from the environment at each call, so the same process can be either', () => {
    const run = { executionArn: LOCAL_EXECUTION, runId: '01M8RUN' };
    expect(runLink(run, { PUSHGATE_LOCAL: 'true' })).toBe('pushgate run 01M8RUN');
    expect(runLink(run, { PUSHGATE_LOCAL: '0' })).toContain('https://us-east-1.console.aws.amazon.com/');
    expect(runLink(run, {})).toContain('https://us-east-1.console.aws.amazon.com/');
  });
});
