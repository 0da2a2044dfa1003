import { stringify } from 'yaml';

export interface BuildspecContent {
  /** Plain-text variables; a start-build override of the same name wins over these. */
  variables: Record<string, string>;
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
  return stringify({ version: 0.2, env: { shell: 'bash', variables: content.variables }, phases }, { lineWidth: 0 });
}
