import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../../functions/lib/webhook/errors.ts';
import { parseEvent } from '../../../functions/lib/webhook/parse-event.ts';
import { githubExample, githubExamples } from '../../helpers/github-examples.ts';

function rejection(run: () => unknown): MalformedPayloadError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedPayloadError);
    expect((error as MalformedPayloadError).statusCode).toBe(400);
    return error as MalformedPayloadError;
  }
  throw new Error('expected a MalformedPayloadError');
}

describe('parseEvent', () => {
  it.each(['push', 'pull_request', 'issue_comment', 'ping'])(
    'parses every %s example and keeps only the fields pushgate uses',
    (name) => {
      for (const example of githubExamples(name)) {
        const event = parseEvent(name, JSON.stringify(example));
        expect(event.name).toBe(name);
        expect(JSON.stringify(event.payload).length).toBeLessThan(JSON.stringify(example).length / 4);
      }
    },
  );

  it('reads the fields of a push', () => {
    const example = githubExample('push', (p) => p.ref === 'refs/heads/master');
    const event = parseEvent('push', JSON.stringify(example));
    expect(event).toEqual({
      name: 'push',
      payload: {
        ref: 'refs/heads/master',
        before: example.before,
        after: example.after,
        created: true,
        deleted: false,
        head_commit: { id: example.head_commit.id, message: example.head_commit.message },
        pusher: { name: 'Codertocat' },
        sender: { login: 'Codertocat' },
        repository: { full_name: 'Codertocat/Hello-World', default_branch: 'master' },
      },
    });
  });

  it.each(['push', 'pull_request', 'issue_comment'])(
    "keeps the repository's default_branch of a %s, and accepts a payload without it",
    (name) => {
      const example = githubExample(name);
      example.repository.default_branch = 'trunk';
      const event = parseEvent(name, JSON.stringify(example));
      expect((event.payload as { repository: unknown }).repository).toStrictEqual({
        full_name: 'Codertocat/Hello-World',
        default_branch: 'trunk',
      });

      delete example.repository.default_branch;
      const without = parseEvent(name, JSON.stringify(example));
      expect((without.payload as { repository: unknown }).repository).toStrictEqual({
        full_name: 'Codertocat/Hello-World',
      });
    },
  );

  it('answers 400 for an empty or non-string default_branch, without echoing it', () => {
    for (const value of ['', 42, { name: 'hunter2' }]) {
      const push = githubExample('push');
      push.repository.default_branch = value;
      const message = rejection(() => parseEvent('push', JSON.stringify(push))).message;
      expect(message).toMatch(/^invalid push payload at repository\.default_branch: /);
      expect(message).not.toContain('hunter2');
    }
  });

  it('reads any other event loosely, for its repository', () => {
    const event = parseEvent(
      'issues',
      JSON.stringify({ action: 'opened', repository: { full_name: 'o/r' }, issue: {} }),
    );
    expect(event).toEqual({
      name: 'other',
      event: 'issues',
      payload: { action: 'opened', repository: { full_name: 'o/r' } },
    });
    expect(parseEvent('installation', '{}')).toEqual({ name: 'other', event: 'installation', payload: {} });
  });

  it.each(['', '{', '{"ref":', 'null x', '\u0000', '{"a":1}}'])(
    'answers 400 for malformed JSON %j, without quoting it',
    (text) => {
      const error = rejection(() => parseEvent('push', text));
      expect(error.message).toBe('body is not valid JSON');
    },
  );

  it.each(['null', '[]', '[{"ref":"x"}]', '42', '"push"', 'true'])('answers 400 for the non-object %s', (text) => {
    expect(rejection(() => parseEvent('push', text)).message).toBe('payload is not a JSON object');
  });

  it('answers 400 naming the field when a used field is missing or of the wrong type', () => {
    const push = githubExample('push');
    delete push.ref;
    expect(rejection(() => parseEvent('push', JSON.stringify(push))).message).toMatch(/^invalid push payload at ref: /);

    const pr = githubExample('pull_request');
    pr.pull_request.head.sha = 'not-a-sha';
    expect(rejection(() => parseEvent('pull_request', JSON.stringify(pr))).message).toBe(
      'invalid pull_request payload at pull_request.head.sha: expected a 40-digit hex sha',
    );

    const comment = githubExample('issue_comment');
    comment.repository.full_name = 'no slash';
    expect(rejection(() => parseEvent('issue_comment', JSON.stringify(comment))).message).toMatch(
      /repository\.full_name: expected owner\/name/,
    );
  });

  it('never echoes the offending value', () => {
    const push = githubExample('push');
    push.ref = { secret: 'hunter2' };
    expect(rejection(() => parseEvent('push', JSON.stringify(push))).message).not.toContain('hunter2');
  });
});
