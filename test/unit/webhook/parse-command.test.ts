import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../functions/lib/webhook/parse-command.ts';

describe('parseCommand', () => {
  it.each([
    ['/pushgate plan', { command: 'plan', args: [] }],
    ['/pushgate apply -p network -e staging', { command: 'apply', args: ['-p', 'network', '-e', 'staging'] }],
    ['  /pushgate   Approve  ', { command: 'approve', args: [] }],
    ['/pushgate plan\r\nplease, and thanks /pushgate apply', { command: 'plan', args: [] }],
  ])('%j → %j', (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  it.each([
    null,
    undefined,
    '',
    '/pushgate',
    '/pushgate ',
    '/pushgateplan',
    'please /pushgate plan',
    '/atlantis plan',
    '/pushgate\nplan',
  ])('ignores %j', (body) => {
    expect(parseCommand(body)).toBeUndefined();
  });
});
