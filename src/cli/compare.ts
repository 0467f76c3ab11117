/** Registers the comparison and reporting commands: diff, nightly, report, log. */
import type { Command } from 'commander';
import type { CommandDeps } from './command.js';
import { registerDiffCommand } from './diff.js';
import { registerLogCommand } from './log.js';
import { registerNightlyCommand } from './nightly.js';
import { registerReportCommand } from './report.js';

/** Add `diff`, `nightly`, `report` and `log` to the program. */
export function registerCompareCommands(program: Command, deps: CommandDeps = {}): void {
  registerDiffCommand(program, deps);
  registerNightlyCommand(program, deps);
  registerReportCommand(program, deps);
  registerLogCommand(program, deps);
}
