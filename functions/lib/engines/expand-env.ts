/** `{env}` in a configured value (workspace, var files, stack name) stands for the environment name. */
export function expandEnv(value: string, environment: string): string {
  return value.replaceAll('{env}', environment);
}
