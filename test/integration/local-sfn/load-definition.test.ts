import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStepFunctions } from '../../../local/stepfunctions/create-local-step-functions.ts';
import {
  DefinitionReferenceError,
  lambdaLogicalId,
  loadDefinition,
  type LoadDefinitionOptions,
} from '../../../local/stepfunctions/load-definition.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pushgate-asl-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options: LoadDefinitionOptions = {
  functionArn: (name) => `arn:aws:lambda:us-east-1:000000000000:function:pushgate-dev-${name}`,
  vars: {
    'self:service': 'pushgate',
    'sls:stage': 'dev',
    'self:custom.planProjectName': 'pushgate-dev-plan',
    'self:custom.attempts': '7',
  },
  refs: {
    PushgateTable: 'pushgate-dev',
    'PushgateTable.Arn': 'arn:aws:dynamodb:us-east-1:000000000000:table/pushgate-dev',
  },
};

function load(yaml: string, overrides: Partial<LoadDefinitionOptions> = {}) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.asl.yml`);
  writeFileSync(path, yaml);
  return loadDefinition(path, { ...options, ...overrides }) as { States: Record<string, Record<string, unknown>> };
}

describe('loadDefinition', () => {
  it('names functions as serverless does', () => {
    expect(lambdaLogicalId('validate')).toBe('ValidateLambdaFunction');
    expect(lambdaLogicalId('acquire-lock')).toBe('AcquireDashlockLambdaFunction');
    expect(lambdaLogicalId('target_failed')).toBe('TargetUnderscorefailedLambdaFunction');
  });

  it('resolves Fn::GetAtt of functions, Ref, serverless variables and CloudFormation substitutions', () => {
    const definition = load(`
StartAt: Validate
States:
  Validate:
    Type: Task
    Resource:
      Fn::GetAtt: [ValidateLambdaFunction, Arn]
    Retry:
      - ErrorEquals: [LockHeldError]
        MaxAttempts: \${self:custom.attempts}
    Next: Lock
  Lock:
    Type: Task
    Resource: !GetAtt AcquireDashlockLambdaFunction.Arn
    Parameters:
      table: !Ref PushgateTable
      tableArn: { 'Fn::GetAtt': [PushgateTable, Arn] }
      project: \${self:custom.planProjectName}
      name: '\${self:service}-\${sls:stage}-deploy'
      fallback: \${opt:region, 'eu-west-1'}
      arnOfFunction: !Sub 'arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:x/\${TargetUnderscorefailedLambdaFunction.Arn}'
      withLocals: { 'Fn::Sub': ['\${Prefix}-\${AWS::Partition}', { Prefix: '\${self:service}' }] }
      pseudo: 'arn:aws:sns:#{AWS::Region}:#{AWS::AccountId}:topic'
      path.$: $.run
    End: true
`);
    expect(definition.States.Validate!.Resource).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:pushgate-dev-validate',
    );
    expect((definition.States.Validate!.Retry as Array<{ MaxAttempts: unknown }>)[0]!.MaxAttempts).toBe(7);
    expect(definition.States.Lock!.Resource).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:pushgate-dev-acquire-lock',
    );
    expect(definition.States.Lock!.Parameters).toEqual({
      table: 'pushgate-dev',
      tableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/pushgate-dev',
      project: 'pushgate-dev-plan',
      name: 'pushgate-dev-deploy',
      fallback: 'eu-west-1',
      arnOfFunction:
        'arn:aws:states:us-east-1:000000000000:x/arn:aws:lambda:us-east-1:000000000000:function:pushgate-dev-target_failed',
      withLocals: 'pushgate-aws',
      pseudo: 'arn:aws:sns:us-east-1:000000000000:topic',
      'path.$': '$.run',
    });
  });

  it('maps function names exactly when given them, including plain names as serverless-step-functions allows', () => {
    const definition = load(
      'StartAt: A\nStates:\n  A:\n    Type: Task\n    Resource: { "Fn::GetAtt": [acquireLock, Arn] }\n    End: true\n',
      {
        functions: ['acquireLock'],
      },
    );
    expect(definition.States.A!.Resource).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:pushgate-dev-acquireLock',
    );
  });

  it('names the reference it cannot resolve and where it is', () => {
    expect(() =>
      load('StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: ${self:custom.missing}\n    End: true\n'),
    ).toThrow(
      new DefinitionReferenceError('unknown variable ${self:custom.missing} at $.States.A.Result: pass it in vars'),
    );
    expect(() =>
      load('StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: !GetAtt Bucket.Arn\n    End: true\n'),
    ).toThrow(/Bucket\.Arn \(Fn::GetAtt\) at \$\.States\.A\.Result/);
    expect(() =>
      load('StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: { Ref: Nothing }\n    End: true\n'),
    ).toThrow(/unknown reference Nothing/);
    expect(() =>
      load('StartAt: A\nStates:\n  A:\n    Type: Task\n    Resource: { "Fn::GetAtt": [other, Arn] }\n    End: true\n', {
        functions: ['validate'],
      }),
    ).toThrow(/other\.Arn/);
  });

  it('loads state-machines/deploy.asl.yml and targets.asl.yml into state machines the local Step Functions runs', async () => {
    const sfn = createLocalStepFunctions({ invokeLambda: async () => null });
    for (const name of ['targets', 'deploy']) {
      const path = fileURLToPath(new URL(`../../../state-machines/${name}.asl.yml`, import.meta.url));
      const definition = loadDefinition(path, {
        ...options,
        vars: {
          ...options.vars,
          'self:custom.planProjectName': 'pushgate-dev-plan',
          'self:custom.applyProjectName': 'pushgate-dev-apply',
        },
        refs: { TargetsStateMachine: 'arn:aws:states:us-east-1:000000000000:stateMachine:pushgate-dev-targets' },
      });
      expect(sfn.createStateMachine(`pushgate-dev-${name}`, definition).stateMachineArn).toBe(
        `arn:aws:states:us-east-1:000000000000:stateMachine:pushgate-dev-${name}`,
      );
    }
    await sfn.close();
  });
});
