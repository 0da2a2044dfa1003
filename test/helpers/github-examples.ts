import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };

/** A webhook payload from @octokit/webhooks-examples; loose on purpose, so tests can derive variants. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ExamplePayload = Record<string, any>;

const definitions = examples as unknown as { name: string; examples: ExamplePayload[] }[];

/** Every example payload GitHub documents for `event` (api.github.com), each a fresh copy. */
export function githubExamples(event: string): ExamplePayload[] {
  const definition = definitions.find((candidate) => candidate.name === event);
  if (!definition || definition.examples.length === 0) throw new Error(`no @octokit/webhooks-examples for ${event}`);
  return definition.examples.map((example) => structuredClone(example));
}

/** The first example of `event` matching `predicate`, a fresh copy. */
export function githubExample(
  event: string,
  predicate: (payload: ExamplePayload) => boolean = () => true,
): ExamplePayload {
  const found = githubExamples(event).find(predicate);
  if (!found) throw new Error(`no ${event} example matches`);
  return found;
}
