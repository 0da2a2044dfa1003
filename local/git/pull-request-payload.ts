import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { PushgateError } from '../../functions/lib/errors.ts';

export interface PullRequestPayloadOptions {
  /** `owner/name` of the local repository: both sides of the pull request are in it (not a fork). */
  repo: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a documented payload, reshaped below
type Payload = Record<string, any>;

const definitions = examples as unknown as { name: string; examples: Payload[] }[];

/**
 * GitHub's documented `pull_request` `opened` example (@octokit/webhooks-examples), pointed at a local
 * repository: its full name on the repository and on both sides, the pushed branch commit as head.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request
 */
export function pullRequestPayload(options: PullRequestPayloadOptions): Payload {
  const example = definitions
    .find((definition) => definition.name === 'pull_request')
    ?.examples.find((candidate) => candidate.action === 'opened');
  if (!example) throw new PushgateError('@octokit/webhooks-examples has no pull_request opened example');
  const payload = structuredClone(example);
  const [owner = '', name = ''] = options.repo.split('/');
  const repository = (repo: Payload) => ({
    ...repo,
    name,
    full_name: options.repo,
    owner: { ...repo.owner, login: owner },
  });
  payload.repository = repository(payload.repository);
  const pull = payload.pull_request;
  pull.head = { ...pull.head, ref: options.headRef, sha: options.headSha, repo: repository(pull.head.repo) };
  pull.base = { ...pull.base, ref: options.baseRef, sha: options.baseSha, repo: repository(pull.base.repo) };
  return payload;
}
