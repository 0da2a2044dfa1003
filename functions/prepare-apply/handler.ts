import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { prepareApply, type PrepareApplyDeps } from '../lib/run/prepare-apply.ts';
import { runtimeArtifactLinks } from '../lib/runtime/artifact-links.ts';
import { runtimeStore } from '../lib/runtime/store.ts';
import { PrepareApplyInput, type PreparedApply } from '../lib/workflow/contract.ts';
import { parseStepInput } from '../lib/workflow/parse-step-input.ts';

export interface PrepareApplyHandlerDeps extends Omit<PrepareApplyDeps, 'gitHost'> {
  /** GitHub, reached with a token read per invocation (cached for minutes), so a rotated token is picked up. */
  gitHost: () => Promise<PrepareApplyDeps['gitHost']>;
}

const defaultDeps = (): PrepareApplyHandlerDeps => ({
  store: runtimeStore(),
  gitHost: gitHubFromEnv,
  artifacts: runtimeArtifactLinks(),
});

/**
 * Step Functions `PrepareApply` (ResultPath `$.prepared`), before every Apply: SupersededError when
 * the branch moved on, LockLostError when the lock was lost; both end the target through the Catch.
 */
export function createHandler(deps: () => PrepareApplyHandlerDeps = defaultDeps) {
  return async (event: unknown): Promise<PreparedApply> => {
    const input = parseStepInput(PrepareApplyInput, event, 'PrepareApply');
    const { gitHost, ...rest } = deps();
    return prepareApply(input, { ...rest, gitHost: await gitHost() });
  };
}

export const handler = createHandler();
