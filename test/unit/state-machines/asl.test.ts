import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../local/stepfunctions/load-definition.ts';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: unknown[] };
const { StateLint } = require('@wmfs/statelint') as { StateLint: new () => { validate(json: unknown): string[] } };

const dir = fileURLToPath(new URL('../../../state-machines/', import.meta.url));
const files = readdirSync(dir).filter((file) => file.endsWith('.asl.yml'));

function load(file: string) {
  return loadDefinition(`${dir}${file}`, {
    functionArn: (name) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    vars: {
      'self:custom.planProjectName': 'pushgate-test-plan',
      'self:custom.applyProjectName': 'pushgate-test-apply',
      'self:custom.lockRetryAttempts': '1000',
    },
    refs: { TargetsStateMachine: 'arn:aws:states:us-east-1:000000000000:stateMachine:pushgate-test-targets' },
  });
}

// @wmfs/statelint predates MaxConcurrencyPath (a JSONPath Map's MaxConcurrency from the state's input,
// which Step Functions has taken since 2024: CDK's maxConcurrencyPath, aws-cdk#29330) and refuses it.
// That one message is all it may say; asl-validator checks the field.
const STATELINT_OUTDATED = /^Field "MaxConcurrencyPath" not allowed in /;

describe('state machines', () => {
  it('has the deploy workflow and its child, the targets of a chunk', () => {
    expect(files).toContain('deploy.asl.yml');
    expect(files).toContain('targets.asl.yml');
  });

  describe.each(files)('%s', (file) => {
    it('passes asl-validator', () => {
      const result = aslValidator(load(file), { checkPaths: true, checkArn: true });
      expect(result.errors).toEqual([]);
      expect(result.isValid).toBe(true);
    });

    it('passes @wmfs/statelint', () => {
      expect(new StateLint().validate(load(file)).filter((problem) => !STATELINT_OUTDATED.test(problem))).toEqual([]);
    });
  });

  it('names the states of a run after what they do', () => {
    const text = JSON.stringify([load('deploy.asl.yml'), load('targets.asl.yml')]);
    for (const name of ['Validate', 'AcquireLock', 'Plan', 'Summarize', 'Apply', 'ReleaseLock', 'Record', 'Notify']) {
      expect(text).toContain(`"${name}"`);
    }
  });
});
