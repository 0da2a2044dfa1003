import { afterEach, describe, expect, it } from 'vitest';
import { consoleUrl, showRunCommand, showRunsWithCommand } from '../../../functions/lib/console-url.ts';

const AWS_EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:pushgate-prod-deploy:infra-push-0123456-d1';
const LOCAL_EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:pushgate-local-deploy:infra-push-abcdef0-d2';

let undo: (() => void) | undefined;
afterEach(() => {
  undo?.();
  undo = undefined;
});

describe('consoleUrl: where a person follows a run', () => {
  it("is the execution's Step Functions console page, in the ARN's region, on AWS", () => {
    expect(consoleUrl(AWS_EXECUTION)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(AWS_EXECUTION)}`,
    );
  });

  it('is the command that shows the run once the local stack says which run an execution is', () => {
    undo = showRunsWithCommand((arn) => (arn === LOCAL_EXECUTION ? '01M8RUN' : undefined));
    expect(consoleUrl(LOCAL_EXECUTION)).toBe('pushgate run 01M8RUN');
    expect(showRunCommand('01M8RUN')).toBe('pushgate run 01M8RUN');
    // An execution the stack does not know keeps its console page.
    expect(consoleUrl(AWS_EXECUTION)).toContain('https://eu-west-1.console.aws.amazon.com/');
  });

  it('is the console page again once the local stack has stopped', () => {
    showRunsWithCommand(() => '01M8RUN')();
    expect(consoleUrl(LOCAL_EXECUTION)).toContain('https://us-east-1.console.aws.amazon.com/');
  });

  it("keeps a newer stack's links when an older one stops late", () => {
    const stopOlder = showRunsWithCommand(() => 'older');
    undo = showRunsWithCommand(() => 'newer');
    stopOlder();
    expect(consoleUrl(LOCAL_EXECUTION)).toBe('pushgate run newer');
  });
});
