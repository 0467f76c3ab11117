/** `kmatrix merge SHARD.db... --into ALL.db` and `kmatrix shards`: combine shard stores; show the shard plan. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { MAX_SHARDS, planShards } from '../matrix/shard.js';
import { checkStorePath, openStore, type Store } from '../store/db.js';
import { checkOutputPath, makeParents, removeMadeDirs } from '../output-path.js';
import { checkSources, mergeChecked, MergeRefused, peekStoreId, type MergeReport } from '../store/merge.js';
import { cellWeights } from '../store/queries.js';
import { TOOL_VERSION } from '../version.js';
import { CODES, emit, failure, type CommandResult } from './command.js';
import { DB_HELP, DEFAULT_MATRIX, defaultDb, positiveInt, selectCells, shardWeights, type CellOptions } from './options.js';

/** Flags of `kmatrix merge`. */
export interface MergeFlags extends CellOptions {
  into: string;
  json?: boolean;
}

/** Text of a merge report (pure). */
export function renderMergeText(r: MergeReport, into: string): string {
  const L: string[] = [];
  for (const s of r.sources) {
    const prov = [
      s.shards.length ? `shard ${s.shards.join(', ')}` : 'unsharded',
      s.hosts.length ? `host ${s.hosts.join(', ')}` : null,
      `kmatrix ${s.toolVersions.join(', ')}`,
    ].filter(Boolean);
    L.push(
      `${s.source} (${prov.join(', ')}): ${s.buildsAdded} build(s) added, ${s.buildsKnown} already merged, ` +
        `${s.logsCopied} log(s) copied${s.logsMissing ? `, ${s.logsMissing} log(s) NOT FOUND` : ''}`,
    );
  }
  if (r.noop) L.push(`${into}: nothing new (already merged)`);
  for (const c of r.conflicts) L.push(`CONFLICT ${c.cell} @ ${c.commitSha.slice(0, 12)} from ${c.source}: ${c.detail}`);
  for (const m of r.missing) L.push(`MISSING ${m.commitSha.slice(0, 12)}: ${m.cells.join(', ')} (no shard has a build)`);
  for (const s of r.sources) {
    for (const u of s.unfinishedRuns) {
      L.push(`UNFINISHED run ${u.id} of ${s.source}${u.shard ? ` (shard ${u.shard})` : ''}, started ${u.startedAt}: the process was killed; what it had not built is missing`);
    }
  }
  for (const a of r.absentShards) L.push(`ABSENT shard ${a}: no store of it was merged`);
  return L.join('\n') + '\n';
}

/** Exit code of a merge: 3 when the merged result is incomplete (a missing cell, an unfinished run, an absent shard) or conflicts, else 0. */
export function mergeExitCode(r: MergeReport): number {
  const incomplete = r.missing.length || r.absentShards.length || r.sources.some((s) => s.unfinishedRuns.length);
  return r.conflicts.length || incomplete ? CODES.INFRA : CODES.OK;
}

/** The store checks name `--db`; for merge the store is the one given with `--into`, so name that flag. */
function asInto<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError && e.file === '--db') throw new InputError('--into', e.line, e.column, e.detail);
    throw e;
  }
}

/** Run `kmatrix merge`: every source is checked before the target is opened; a refused or failed merge leaves nothing behind. */
export function mergeCommand(sources: string[], f: MergeFlags): CommandResult {
  const { matrix } = selectCells({ ...f, shard: undefined });
  const into = resolve(f.into);
  const paths = sources.map((s) => resolve(s));
  if (paths.includes(into)) throw new InputError('--into', null, null, `'${f.into}' is also given as a source`);
  const expected = { name: matrix.name, hash: matrix.hash, cells: matrix.cells.map((c) => ({ name: c.name, hash: c.hash })) };
  // Refusals first, with the target only read: an older target is not migrated, nothing is created.
  asInto(() => checkStorePath(into));
  let checked;
  try {
    checked = checkSources(paths, { matrix: expected, targetId: peekStoreId(into) });
  } catch (e) {
    if (e instanceof MergeRefused) return failure(e);
    throw e;
  }
  const created = !existsSync(into);
  let madeDirs: string[] = [];
  let store: Store | null = null;
  let ok = false;
  try {
    madeDirs = makeParents('--into', into);
    store = asInto(() => openStore(into));
    const r = mergeChecked(store, checked, { targetDir: dirname(into), matrix: expected, toolVersion: TOOL_VERSION });
    ok = true;
    const code = mergeExitCode(r);
    const stdout = f.json ? JSON.stringify({ into, exitCode: code, ...r }, null, 2) + '\n' : renderMergeText(r, f.into);
    return { code, stdout, stderr: '' };
  } finally {
    if (!store) for (const s of checked) s.db.close();
    store?.close();
    // A failed merge takes back what it created: a new target store (and its -wal/-shm), the folders made for it.
    if (!ok) {
      if (created) for (const x of [into, `${into}-wal`, `${into}-shm`, `${into}-journal`]) rmSync(x, { force: true });
      removeMadeDirs(madeDirs);
    }
  }
}

/** Flags of `kmatrix shards`. */
export interface ShardsFlags extends CellOptions {
  shards?: number;
  weights?: boolean;
  db?: string;
  json?: boolean;
  output?: string;
}

/** Run `kmatrix shards`: the plan for N shards, or (--weights) recorded seconds per cell for --shard-weights. */
export function shardsCommand(f: ShardsFlags): CommandResult {
  const { matrix } = selectCells({ ...f, shard: undefined, shards: undefined });
  if (f.weights) {
    // Read, never created: a mistyped --db is an error, not an empty store with no weights.
    const db = resolve(f.db ?? defaultDb());
    if (!existsSync(db)) throw new InputError('--db', null, null, `${db}: no such result store (kmatrix shards --weights reads recorded times)`);
    if (f.output) checkOutputPath('-o', f.output);
    const store = openStore(db);
    try {
      const w = cellWeights(store, matrix.cells.map((c) => ({ name: c.name, hash: c.hash })));
      const text = JSON.stringify({ matrix: matrix.name, cells: Object.fromEntries(w) }, null, 2) + '\n';
      if (f.output) {
        makeParents('-o', f.output);
        writeFileSync(resolve(f.output), text);
        return { code: CODES.OK, stdout: '', stderr: `kmatrix: wrote ${f.output} (${w.size} cell(s) with recorded times)\n` };
      }
      return { code: CODES.OK, stdout: text, stderr: '' };
    } finally {
      store.close();
    }
  }
  if (f.shards === undefined) throw new InputError('--shards', null, null, 'give the shard count (--shards N) or --weights');
  if (f.shards > MAX_SHARDS) throw new InputError('--shards', null, null, `shard count must be 1..${MAX_SHARDS}, got ${f.shards}`);
  const plan = planShards(matrix.cells, f.shards, shardWeights(f));
  if (f.json) {
    const shards = [...plan.cells].map(([i, cells]) => ({ shard: `${i}/${plan.total}`, cells, seconds: plan.load?.get(i) ?? null }));
    return { code: CODES.OK, stdout: JSON.stringify({ matrix: matrix.name, hash: matrix.hash, shards }, null, 2) + '\n', stderr: '' };
  }
  const L = [...plan.cells].map(
    ([i, cells]) => `${i}/${plan.total}${plan.load ? ` (~${Math.round(plan.load.get(i)!)}s)` : ''}: ${cells.length ? cells.join(', ') : '(no cells)'}`,
  );
  return { code: CODES.OK, stdout: L.join('\n') + '\n', stderr: '' };
}

/** Register `kmatrix merge` and `kmatrix shards`. */
export function registerMergeCommands(program: Command): void {
  program
    .command('merge')
    .description('merge shard stores (kmatrix run --shard I/N --db SHARD.db) into one; idempotent, conflicts and missing cells reported')
    .argument('<stores...>', 'shard result stores (SQLite files; their logs/ beside them)')
    .requiredOption('--into <file>', 'merged result store (created if missing; logs copied under logs/ beside it)')
    .option('--matrix <file>', `the matrix the shards ran (default: ${DEFAULT_MATRIX}); other matrices are refused`)
    .option('--json', 'print the merge report as JSON')
    .action((stores: string[], f: MergeFlags) => emit(mergeCommand(stores, f)));

  program
    .command('shards')
    .description('print which cells each of N shards builds (stable hash of the build dir; --shard-weights balances), or --weights')
    .option('--shards <n>', 'number of shards', positiveInt('--shards'))
    .option('--matrix <file>', `matrix YAML (default: ${DEFAULT_MATRIX})`)
    .option('--shard-weights <file>', 'balance by these recorded seconds per cell')
    .option('--weights', 'print recorded seconds per cell from --db (median of PASS/FAIL builds) for --shard-weights')
    .option('--db <file>', `${DB_HELP}; read for --weights`)
    .option('-o, --output <file>', 'write --weights to this file')
    .option('--json', 'print the plan as JSON')
    .action((f: ShardsFlags) => emit(shardsCommand(f)));
}
