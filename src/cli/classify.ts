/** The `classify` command: a saved or piped build log in kmatrix's vocabulary (text, JSON or GitHub annotations). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { classifyFile } from '../classify/index.js';
import { buildStatus } from '../classify/status.js';
import { InputError } from '../errors.js';
import { renderGithubAnnotations } from '../report/github.js';
import { diagnosticLine } from '../report/diagnostic.js';
import { exitCodeFor } from '../report/run-json.js';

const FORMATS = ['text', 'json', 'github'] as const;
type Format = (typeof FORMATS)[number];

interface ClassifyFlags {
  json?: boolean;
  format?: string;
  root?: string[];
  exitCode?: string;
}

const collect = (v: string, acc: string[] = []): string[] => [...acc, v];

/** Register `kmatrix classify <log|->`. */
export function registerClassifyCommand(p: Command): void {
  p.command('classify')
    .description('classify a build log (plain, .gz or .xz; `-` reads standard input)')
    .argument('<log>', 'build log, or - for standard input')
    .option('--format <format>', `output: ${FORMATS.join(', ')} (github: workflow annotations)`)
    .option('--json', 'same as --format json: print {"status", "diagnostics"}')
    .option('--root <dir>', 'source/build root to strip from paths (repeatable)', collect)
    .option('--exit-code <n>', "make's exit code (0-255), if known")
    .action(async (log: string, f: ClassifyFlags) => {
      const format = (f.format ?? (f.json ? 'json' : 'text')) as Format;
      if (!FORMATS.includes(format)) throw new InputError('--format', null, null, `unknown format '${f.format}' (${FORMATS.join(', ')})`);
      if (f.json && f.format !== undefined && f.format !== 'json') throw new InputError('--json', null, null, `conflicts with --format ${f.format}`);
      const exitCode = f.exitCode === undefined ? 0 : Number(f.exitCode);
      if (!/^\d{1,3}$/.test(f.exitCode ?? '0') || exitCode > 255) {
        throw new InputError('--exit-code', null, null, `'${f.exitCode}' is not an exit code (an integer 0-255)`);
      }
      const path = log === '-' ? '-' : resolve(log);
      const diagnostics = await classifyFile(path, { roots: f.root ?? [] }).catch((e: NodeJS.ErrnoException) => {
        const name = log === '-' ? 'standard input' : log;
        throw new InputError(name, null, null, e.code === 'ENOENT' ? 'no such log file' : `cannot read the log: ${e.message}`);
      });
      // Without --exit-code the status comes from the log alone.
      const status = buildStatus({ diagnostics, exitCode, missingArtifacts: [] });
      if (format === 'json') process.stdout.write(JSON.stringify({ status, diagnostics }, null, 2) + '\n');
      else if (format === 'github') process.stdout.write(renderGithubAnnotations(diagnostics));
      else {
        process.stdout.write(`${status}\n`);
        for (const d of diagnostics) process.stdout.write(`  ${d.severity}: ${d.kind}: ${diagnosticLine(d)}\n`);
      }
      process.exitCode = exitCodeFor([status]);
    });
}
