import type { Command } from 'commander';
import { approveCommand, rejectCommand } from './approve.ts';
import { devCommand } from './dev.ts';
import { historyCommand } from './history.ts';
import { runCommand } from './run.ts';
import { setupCommand } from './setup.ts';
import { statusCommand } from './status.ts';
import { summarizeCommand } from './summarize.ts';

/** Every `pushgate` command, in `--help` order. A new command adds its factory here. */
export const commands: ReadonlyArray<() => Command> = [
  statusCommand,
  historyCommand,
  runCommand,
  approveCommand,
  rejectCommand,
  summarizeCommand,
  devCommand,
  setupCommand,
];
