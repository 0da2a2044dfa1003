import { stringify } from 'yaml';

export interface BuildspecContent {
  /** Plain-text variables; a start-build override of the same name wins over these. */
  variables: Record<string, string>;
  /** Shell variables CodeBuild reads at the end of the build and returns with it (`exported-variables`). */
  exportedVariables?: string[];
  install?: string[];
  build: string[];
}

/**
 * CodeBuild buildspec 0.2 as YAML text. Every command of a build runs in the same bash, so a `cd`
 * holds for the commands after it; a failing command stops the phase.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
 */
export function renderBuildspec(content: BuildspecContent): string {
  const phases: Record<string, { commands: string[] }> = {};
  if (content.install && content.install.length > 0) phases.install = { commands: content.install };
  phases.build = { commands: content.build };
  // lineWidth 0: never fold a long command line.
  const env = {
    shell: 'bash',
    variables: content.variables,
    ...(content.exportedVariables && content.exportedVariables.length > 0
      ? { 'exported-variables': content.exportedVariables }
      : {}),
  };
  return stringify({ version: 0.2, env, phases }, { lineWidth: 0 });
}
