/** `kmatrix log REV CELL [--errors] [--context N]`: a stored build log, whole or as error excerpts. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveRevisions } from '../workspace/git.js';
import { diagnosticLine } from '../report/diagnostic.js';
import { InputError } from '../errors.js';
import { logExcerpts, readLog, renderExcerpts } from '../report/log-excerpt.js';
import { openStore, type Store } from '../store/db.js';
import { commitsByPrefix, findBuild } from '../store/queries.js';
import { stageSummary } from '../stage-text.js';
import { addStoreFlags, CODES, emit, paths, type CommandDeps, type CommandResult, type StoreFlags } from './command.js';

/** Flags of `kmatrix log`. */
export interface LogFlags extends StoreFlags {
  errors?: boolean;
  context?: number;
}

/** A revision → full sha: a unique prefix of a recorded commit, else git in --tree. */
async function resolveRev(store: Store, tree: string, rev: string): Promise<string> {
  const hits = commitsByPrefix(store, rev);
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new InputError('revision', null, null, `'${rev}' is ambiguous: ${hits.map((h) => h.slice(0, 12)).join(', ')}`);
  return (await resolveRevisions(tree, [rev]))[0]!;
}

/** Run `kmatrix log`; stdout is the log (or its error excerpts). */
export async function logCommand(rev: string, cell: string, f: LogFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  const { tree, dbPath } = paths(f, deps);
  if (!existsSync(dbPath)) throw new InputError('--db', null, null, `${dbPath}: no result store`);
  const store = openStore(dbPath);
  try {
    const sha = await resolveRev(store, tree, rev);
    const b = findBuild(store, sha, cell);
    if (!b) throw new InputError('cell', null, null, `no build of ${cell} at ${sha.slice(0, 12)} in ${dbPath}`);
    const log = readLog(b.logPath);
    if (log === null) return { code: CODES.INFRA, stdout: '', stderr: `kmatrix: log of build ${b.id} is gone: ${b.logPath}\n` };
    const stages = stageSummary(b.stages, b.ccache, true);
    const head =
      `kmatrix: ${cell} @ ${sha.slice(0, 12)}: ${b.status} (build ${b.id}, ${b.logPath})\n` +
      `kmatrix: ${b.seconds.toFixed(1)}s: ${stages || 'no stage times recorded (a reused result, or recorded before kmatrix measured stages)'}\n`;
    if (!f.errors) return { code: CODES.OK, stdout: log, stderr: head };
    const ex = logExcerpts(log, b.diagnostics, { context: f.context ?? 5, maxExcerpts: 50, maxChars: 1 << 20 });
    const parts = ex.map((e) => {
      const d = b.diagnostics.find((x) => x.fingerprint === e.fingerprint)!;
      return `== ${d.kind}: ${diagnosticLine(d)}\n${renderExcerpts([e])}`;
    });
    return { code: CODES.OK, stdout: parts.join('\n') || 'no errors\n', stderr: head };
  } finally {
    store.close();
  }
}

/** Register `kmatrix log`. */
export function registerLogCommand(program: Command, deps: CommandDeps = {}): void {
  addStoreFlags(
    program
      .command('log')
      .description('print the saved log of a build (gunzipped), or just the lines around each error')
      .argument('<rev>', 'commit (a recorded sha prefix or any revision of --tree)')
      .argument('<cell>', 'cell name, e.g. virt-v7/UP')
      .option('--errors', 'only the excerpts around each error')
      .option('--context <n>', 'lines of context around each error (default 5)', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InputError('--context', null, null, `expects a non-negative integer, got '${v}'`);
        return n;
      }),
    false,
  ).action(async (rev: string, cell: string, f: LogFlags) => {
    emit(await logCommand(rev, cell, f, deps));
  });
}
