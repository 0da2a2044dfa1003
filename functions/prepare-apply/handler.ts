import { gitHubFromEnv } from '../lib/git/github-from-env.ts';
import { prepareApply, type PrepareApplyDeps } from '../lib/run/prepare-apply.ts';
import { runtimeArtifactLinks } from '../lib/runtime/artifact-links.ts';
import { stepHandler, targetKeys, type StepObservability } from '../lib/runtime/step-handler.ts';
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
export function createHandler(
  deps: () => PrepareApplyHandlerDeps = defaultDeps,
  observability: Partial<StepObservability> = {},
) {
  return stepHandler<PreparedApply>(
    'prepareApply',
    async (event, step) => {
      const input = parseStepInput(PrepareApplyInput, event, 'PrepareApply');
      step.appendKeys(targetKeys(input));
      const { gitHost, ...rest } = deps();
      return prepareApply(input, { ...rest, gitHost: await gitHost() });
    },
    observability,
  );
}

export const handler = createHandler();
