import { describe, expect, expectTypeOf, it } from 'vitest';
import * as mini from 'zod/mini';
import * as classic from 'zod';
import { CommandRequest } from '../../../functions/lib/commands/command-request.ts';
import { CommandRequest as LightCommandRequest } from '../../../functions/lib/webhook/command-request-schema.ts';

/*
 * The webhook checks the comment command it hands the commands function by a zod/mini copy of
 * CommandRequest (command-request-schema.ts), for its cold start; the commands function parses it with
 * the classic one. Both must say the same.
 */

const command = {
  commandId: '01J0000000000000000000000A',
  deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  repo: 'octo-org/infra',
  pullRequest: 7,
  commentId: 42,
  command: 'approve',
  args: ['prod'],
  author: 'octocat',
  receivedAt: '2025-01-01T00:00:00.000Z',
};

const accepted: [string, unknown][] = [
  ['a command', command],
  ['no arguments', { ...command, args: [] }],
  ['100 arguments of 1000 characters', { ...command, args: Array.from({ length: 100 }, () => 'a'.repeat(1000)) }],
  ['an unknown field (dropped)', { ...command, unknown: true }],
];

const rejected: [string, unknown][] = [
  ['an empty command id', { ...command, commandId: '' }],
  ['a repository without an owner', { ...command, repo: 'infra' }],
  ['pull request 0', { ...command, pullRequest: 0 }],
  ['a fractional comment id', { ...command, commentId: 1.5 }],
  ['an empty command', { ...command, command: '' }],
  ['a command of 101 characters', { ...command, command: 'a'.repeat(101) }],
  ['101 arguments', { ...command, args: Array.from({ length: 101 }, () => 'a') }],
  ['an argument of 1001 characters', { ...command, args: ['a'.repeat(1001)] }],
  ['an author of 101 characters', { ...command, author: 'a'.repeat(101) }],
  ['no receivedAt', { ...command, receivedAt: undefined }],
];

describe('the webhook’s CommandRequest schema (zod/mini) and the commands function’s', () => {
  it('have the same JSON Schema: the same fields, types and rules', () => {
    expect(mini.toJSONSchema(LightCommandRequest)).toEqual(classic.toJSONSchema(CommandRequest));
  });

  it('infer the same type', () => {
    expectTypeOf<mini.infer<typeof LightCommandRequest>>().toEqualTypeOf<classic.infer<typeof CommandRequest>>();
  });

  it.each(accepted)('both accept %s, with the same output', (_name, request) => {
    const light = LightCommandRequest.safeParse(request);
    const full = CommandRequest.safeParse(request);
    expect(full.success).toBe(true);
    expect(light.success).toBe(true);
    expect(light.data).toEqual(full.data);
  });

  it.each(rejected)('both reject %s, at the same path', (_name, request) => {
    const light = LightCommandRequest.safeParse(request);
    const full = CommandRequest.safeParse(request);
    expect(full.success).toBe(false);
    expect(light.success).toBe(false);
    expect(light.error?.issues.map((issue) => issue.path)).toEqual(full.error?.issues.map((issue) => issue.path));
  });
});
