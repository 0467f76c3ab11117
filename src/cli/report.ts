/** `kmatrix report [RANGE | --last N]`: the history grid in the terminal, as JSON or as a self-contained HTML page. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { commitInfo, resolveRevisions } from '../workspace/git.js';
import { historyBuild } from '../report/enrich.js';
import { InputError } from '../errors.js';
import { cellMatcher } from '../matrix/glob.js';
import { loadMatrix } from '../matrix/load.js';
import { historyGrid, historyJson, renderHistoryText, type HistoryCommit } from '../report/grid.js';
import { renderHistoryHtml } from '../report/html.js';
import { openStore } from '../store/db.js';
import { latestBuildsAt, recentCommits, storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, emit, paths, type CommandDeps, type CommandResult, type StoreFlags } from './command.js';
import { DEFAULT_MATRIX, positiveInt } from './options.js';

/** Flags of `kmatrix report`. */
export interface ReportFlags extends StoreFlags {
  last?: number;
  html?: string;
  /** Leave reproducers out of the terminal output. */
  reproducers?: boolean;
  color?: boolean;
}

/** Cell order: the matrix's order first (when it loads), then the rest alphabetically. */
function cellOrder(names: Set<string>, matrixFile: string | undefined): string[] {
  let known: string[] = [];
  try {
    known = loadMatrix(matrixFile ?? DEFAULT_MATRIX).cells.map((c) => c.name);
  } catch {
    /* no usable matrix: alphabetical */
  }
  return [...known.filter((n) => names.has(n)), ...[...names].filter((n) => !known.includes(n)).sort()];
}

/** Run `kmatrix report`; writes --html FILE, returns the terminal grid (or JSON). */
export async function reportCommand(range: string | undefined, f: ReportFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  const { tree, dbPath } = paths(f, deps);
  if (!existsSync(dbPath)) throw new InputError('--db', null, null, `${dbPath}: no result store (run \`kmatrix run\` first)`);
  const store = openStore(dbPath);
  try {
    let commits: HistoryCommit[];
    if (range !== undefined) {
      const shas = (await resolveRevisions(tree, [range])).reverse();
      commits = [];
      for (const sha of shas) commits.push(storedCommit(store, sha) ?? (await commitInfo(tree, sha)));
    } else {
      commits = recentCommits(store, f.last ?? 20);
    }
    commits = commits.map((c) => ({ sha: c.sha, subject: c.subject }));
    const match = f.cells ? cellMatcher(f.cells) : () => true;
    const builds = latestBuildsAt(store, commits.map((c) => c.sha)).filter((b) => match(b.cell));
    const cells = cellOrder(new Set(builds.map((b) => b.cell)), f.matrix);
    const title = range !== undefined ? `kmatrix: ${range}` : `kmatrix: last ${commits.length} built commits`;
    const grid = historyGrid(commits, cells, builds.map(historyBuild), { title });
    if (f.html) {
      const p = resolve(f.html);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, renderHistoryHtml(grid));
    }
    const stdout = f.json
      ? JSON.stringify(historyJson(grid), null, 2) + '\n'
      : renderHistoryText(grid, { color: f.color ?? false, reproducers: f.reproducers !== false });
    return { code: CODES.OK, stdout, stderr: f.html ? `kmatrix: wrote ${resolve(f.html)}\n` : '' };
  } finally {
    store.close();
  }
}

/** Register `kmatrix report`. */
export function registerReportCommand(program: Command, deps: CommandDeps = {}): void {
  addStoreFlags(
    program
      .command('report')
      .description('history grid: commits (newest first) × cells, first failing commit per cell marked')
      .argument('[range]', 'A..B (needs --tree); default: the last N built commits')
      .option('--last <n>', 'the N most recent built commits (default 20)', positiveInt('--last'))
      .option('--html <file>', 'also write a self-contained HTML page')
      .option('--json', 'print the grid as JSON')
      .option('--no-reproducers', 'leave the reproducers of failing cells out of the terminal output'),
    false,
  ).action(async (range: string | undefined, f: ReportFlags) => {
    emit(await reportCommand(range, { ...f, color: process.stdout.isTTY }, deps));
  });
}
