/** Comment commands that start a workflow run; every other `/pushgate` command goes to the commands function. */
const WORKFLOW_COMMANDS: ReadonlySet<string> = new Set(['plan', 'apply']);

export function isWorkflowCommand(command: string): boolean {
  return WORKFLOW_COMMANDS.has(command);
}
