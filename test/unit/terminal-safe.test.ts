import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../cli/lib/terminal-safe.ts';

describe('terminalSafe: a build log line cannot drive the terminal', () => {
  it('keeps plain text and tabs', () => {
    expect(terminalSafe('Plan: 1 to add,\t0 to change')).toBe('Plan: 1 to add,\t0 to change');
  });

  it('removes colours, cursor moves, window titles and OSC 8 links', () => {
    expect(terminalSafe('\u001b[1m\u001b[32mApply complete!\u001b[0m')).toBe('Apply complete!');
    expect(terminalSafe('ok\u001b[2K\u001b[1Aall good')).toBe('okall good');
    expect(terminalSafe('\u001b]0;pwned\u0007title')).toBe('title');
    expect(terminalSafe('\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007')).toBe('click');
  });

  it('removes a carriage return that would print over a warning, and the other controls', () => {
    expect(terminalSafe('WARNING: destroying prod\rall fine              ')).toBe(
      'WARNING: destroying prodall fine              ',
    );
    expect(terminalSafe('a\u0000b\u0008c\u007fd\u009be\nf')).toBe('abcdef');
  });
});
