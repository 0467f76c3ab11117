/** The kmatrix command line: registers one command per file of src/cli/ and maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { exitCodeOf, KmatrixError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { registerBisectCommand } from './bisect.js';
import { registerCheckCommand } from './check.js';
import { registerCiCommand } from './ci.js';
import { registerClassifyCommand } from './classify.js';
import { CODES } from './command.js';
import { registerCompareCommands } from './compare.js';
import { registerDemoCommand } from './demo.js';
import { registerDoctor } from './doctor.js';
import { registerImageCommands } from './image.js';
import { registerMergeCommands } from './merge.js';
import { registerRunCommand } from './run.js';
import { guardSignals } from './signals.js';

/** Exit codes every command uses. */
const EXIT = CODES;

/** The kmatrix command line. */
export function program(): Command {
  const p = new Command('kmatrix')
    .description('Run a Kconfig build matrix of Linux kernel cross-compiles and remember every result')
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();

  registerRunCommand(p);
  registerClassifyCommand(p);
  registerDemoCommand(p);
  registerImageCommands(p);
  registerDoctor(p, EXIT);
  registerCompareCommands(p);
  registerBisectCommand(p);
  registerCheckCommand(p);
  registerMergeCommands(p);
  registerCiCommand(p);
  return p;
}

/** Run the CLI and map errors to exit codes. */
export async function main(argv: string[]): Promise<void> {
  guardSignals();
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.USAGE;
      return;
    }
    // The one place exit codes come from errors: a usage error 2, an infrastructure error 3, anything unexpected 3.
    process.stderr.write(`kmatrix: ${(e as Error).message}\n`);
    if (!(e instanceof KmatrixError) && process.env['KMATRIX_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = exitCodeOf(e);
  }
}
