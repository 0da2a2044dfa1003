import type { Command } from 'commander';
import { approveCommand, rejectCommand } from './approve.ts';
import { devCommand } from './dev.ts';
import { driftCommand } from './drift.ts';
import { historyCommand } from './history.ts';
import { logsCommand } from './logs.ts';
import { locksCommand } from './locks.ts';
import { rollbackCommand } from './rollback.ts';
import { runCommand } from './run.ts';
import { runsCommand } from './runs.ts';
import { setupCommand } from './setup.ts';
import { statusCommand } from './status.ts';
import { summarizeCommand } from './summarize.ts';
import { unlockCommand } from './unlock.ts';
import { validateCommand } from './validate.ts';
import { whereCommand } from './where.ts';

/** Every `pushgate` command, in `--help` order. A new command adds its factory here. */
export const commands: ReadonlyArray<() => Command> = [
  statusCommand,
  historyCommand,
  runsCommand,
  runCommand,
  logsCommand,
  whereCommand,
  locksCommand,
  unlockCommand,
  approveCommand,
  rejectCommand,
  rollbackCommand,
  driftCommand,
  validateCommand,
  summarizeCommand,
  devCommand,
  setupCommand,
];
