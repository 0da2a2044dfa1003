import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cutText,
  planTextOf,
  readPlanText,
  renderChangeSetText,
  stripAnsi,
} from '../../../functions/lib/plan/plan-text.ts';

const encode = (text: string) => new TextEncoder().encode(text);

describe('plan text', () => {
  it('strips colours, cursor moves, hyperlinks and carriage returns, keeping tabs and the text', () => {
    const coloured =
      '\u001b[1m\u001b[32m+\u001b[0m\u001b[0m resource\t"x"\r\n\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007\u001b[2K done\u0007';
    expect(stripAnsi(coloured)).toBe('+ resource\t"x"\nlink done');
  });

  it('readPlanText: the object without escapes, at most maxBytes, undefined when there is none', async () => {
    const objects = new Map<string, Uint8Array>([
      ['runs/r/a/e/plan.txt', encode('\u001b[32m+ one\u001b[0m\n')],
      ['runs/r/big/e/plan.txt', encode(`${'é'.repeat(10)}tail`)],
    ]);
    const get = async (key: string) => objects.get(key);
    expect(await readPlanText(get, 'runs/r/a/e/plan.txt', 1000)).toEqual({ text: '+ one\n', truncated: false });
    expect(await readPlanText(get, 'runs/r/missing/plan.txt', 1000)).toBeUndefined();
    // 5 bytes cut inside the third é (2 bytes each): two whole characters, no replacement character.
    expect(await readPlanText(get, 'runs/r/big/e/plan.txt', 5)).toEqual({ text: 'éé', truncated: true });
  });

  it('readPlanText with the sha256 the build exported: another object is not shown', async () => {
    const bytes = encode('+ one\n');
    const get = async () => bytes;
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(await readPlanText(get, 'k', 100, { expectedSha256: sha.toUpperCase() })).toEqual({
      text: '+ one\n',
      truncated: false,
    });
    expect(await readPlanText(get, 'k', 100, { expectedSha256: 'f'.repeat(64) })).toBeUndefined();
  });

  it('cutText cuts at a line end near the limit', () => {
    expect(cutText('abc', 10)).toEqual({ text: 'abc', cut: false, omittedChars: 0 });
    expect(cutText('line one\nline two\nline three', 20)).toEqual({
      text: 'line one\nline two',
      cut: true,
      omittedChars: 11,
    });
  });

  it('renders a CloudFormation change set, one line per resource, with replacements', () => {
    const changeSet = {
      Status: 'CREATE_COMPLETE',
      Changes: [
        {
          Type: 'Resource',
          ResourceChange: { Action: 'Add', LogicalResourceId: 'Bucket', ResourceType: 'AWS::S3::Bucket' },
        },
        {
          Type: 'Resource',
          ResourceChange: {
            Action: 'Modify',
            LogicalResourceId: 'Handler',
            PhysicalResourceId: 'acme-handler-1',
            ResourceType: 'AWS::Lambda::Function',
            Replacement: 'True',
            Scope: ['Properties'],
          },
        },
        {
          Type: 'Resource',
          ResourceChange: {
            Action: 'Remove',
            LogicalResourceId: 'Old',
            ResourceType: 'AWS::SQS::Queue',
            PolicyAction: 'Retain',
          },
        },
      ],
    };
    expect(renderChangeSetText(changeSet)).toBe(
      [
        'Add AWS::S3::Bucket Bucket',
        'Modify AWS::Lambda::Function Handler [acme-handler-1] (Replacement: True; Scope: Properties)',
        'Remove AWS::SQS::Queue Old (PolicyAction: Retain)',
      ].join('\n'),
    );
    expect(
      renderChangeSetText({
        Status: 'FAILED',
        StatusReason: "The submitted information didn't contain changes.",
        Changes: [],
      }),
    ).toBe("No changes: The submitted information didn't contain changes.");
    expect(renderChangeSetText({ format_version: '1.2' })).toBeUndefined();
  });

  it('planTextOf: plan.txt when there is one, else the change set from plan.json', () => {
    expect(planTextOf({ planText: '\u001b[1mPlan\u001b[0m', planJson: '{}' })).toBe('Plan');
    expect(
      planTextOf({
        planJson: JSON.stringify({
          Changes: [{ ResourceChange: { Action: 'Add', LogicalResourceId: 'Q', ResourceType: 'AWS::SQS::Queue' } }],
        }),
      }),
    ).toBe('Add AWS::SQS::Queue Q');
    expect(planTextOf({ planJson: '{"resource_changes": []}' })).toBeUndefined();
    expect(planTextOf({ planJson: 'not json' })).toBeUndefined();
    expect(planTextOf({})).toBeUndefined();
  });
});
