import { describe, expect, it } from 'vitest';
import { BadHeaderError } from '../../../functions/lib/webhook/errors.ts';
import { githubHeaders } from '../../../functions/lib/webhook/github-headers.ts';

const valid = { 'x-github-event': 'push', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };

describe('githubHeaders', () => {
  it('reads the event name and the delivery id', () => {
    expect(githubHeaders(valid)).toEqual({ event: 'push', deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
  });

  it.each([
    ['no X-GitHub-Event', { 'x-github-delivery': valid['x-github-delivery'] }, 'missing X-GitHub-Event'],
    ['no X-GitHub-Delivery', { 'x-github-event': 'push' }, 'missing X-GitHub-Delivery'],
    ['an event name with spaces', { ...valid, 'x-github-event': 'push now' }, 'not an event name'],
    ['a huge event name', { ...valid, 'x-github-event': 'a'.repeat(100_000) }, 'not an event name'],
    ['a delivery id with slashes', { ...valid, 'x-github-delivery': '../../etc' }, 'not a delivery id'],
    [
      'a delivery id too long for an execution name',
      { ...valid, 'x-github-delivery': 'a'.repeat(65) },
      'not a delivery id',
    ],
  ])('answers 400 for %s', (_case, headers: Record<string, string>, message) => {
    let thrown: unknown;
    try {
      githubHeaders(headers);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BadHeaderError);
    expect((thrown as BadHeaderError).statusCode).toBe(400);
    expect((thrown as BadHeaderError).message).toContain(message);
  });
});
