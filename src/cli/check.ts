/** `kmatrix check [range]`: build a patch series across the matrix and report what each patch introduces. */
import type { Command } from 'commander';
import { ensureBuilds } from '../compare/builds.js';
import { checkExitCode, checkSeries, newErrors, resolveSeries, touchedLines, type PatchInput } from '../compare/check.js';
import { buildReproducer } from '../report/enrich.js';
import { UsageError } from '../errors.js';
import { commonGitDir } from '../workspace/git.js';
import { checkStorePath } from '../store/db.js';
import { checkJson, renderCheckMarkdown, renderCheckText, type Reproducers } from '../report/check-report.js';
import { storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, failure, paths, runAction, usage, withBuildContext, type CommandDeps, type CommandResult, type StoreFlags } from './command.js';
import { addShardOptions, selectCells } from './options.js';
import { checkKernelCommits } from './preflight.js';

/** Flags of `kmatrix check`. */
export interface CheckFlags extends StoreFlags {
  tipOnly?: boolean;
  /** Add uncommitted changes (tracked files) as a temporary last patch. */
  worktree?: boolean;
  format?: string;
  noBuild?: boolean;
  /** commander's negation of --no-build. */
  build?: boolean;
}

/** Run `kmatrix check [range]`; returns exit code (0 no new errors, 1 new errors, 3 ERROR builds, 2 bad input) and output. */
export async function checkCommand(range: string | undefined, f: CheckFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  const format = f.json ? 'json' : (f.format ?? 'text');
  if (!['text', 'md', 'json'].includes(format)) return usage(`--format must be text, md or json (got '${format}')`);
  let matrix, cells, shard;
  try {
    ({ matrix, cells, shard } = selectCells(f));
  } catch (e) {
    if (e instanceof UsageError) return failure(e);
    throw e;
  }
  const { tree, dbPath } = paths(f, deps);
  let series;
  let shas: string[];
  try {
    await commonGitDir(tree);
    series = await resolveSeries(tree, range, f.tipOnly, f.worktree);
    shas = [...new Set([series.base, ...series.patches.flatMap((p) => [p.parent, p.sha])])];
    await checkKernelCommits(tree, shas, cells.length ? cells : matrix.cells);
    checkStorePath(dbPath);
  } catch (e) {
    // Bad input is exit 2; git failing for another reason propagates (exit 3) with git's own message.
    if (e instanceof UsageError) return failure(e);
    throw e;
  }
  // Only after its inputs were checked: a typo in an empty shard is not a green shard.
  if (shard && cells.length === 0) return { code: CODES.OK, stdout: `shard ${shard.index}/${shard.total}: no cells\n`, stderr: '' };
  return withBuildContext(f, deps, { matrix, cells, command: `check ${range ?? ''}`.trim() }, async (ctx) => {
    const { store } = ctx;
    const got = await ensureBuilds({ ...ctx, shas, noBuild: f.noBuild === true || f.build === false });
    const inputs: PatchInput[] = [];
    for (const p of series.patches) {
      inputs.push({
        sha: p.sha,
        parent: p.parent,
        subject: storedCommit(store, p.sha)?.subject ?? '',
        builds: got.builds.get(p.sha) ?? [],
        parentBuilds: got.builds.get(p.parent) ?? [],
        touched: await touchedLines(tree, p.parent, p.sha),
      });
    }
    const result = checkSeries(series.base, inputs, { order: cells.map((c) => c.name), arch: cells[0]?.arch });
    const code = checkExitCode(result);
    if (format === 'json') return { code, stdout: JSON.stringify({ ...checkJson(result), built: got.built }, null, 2) + '\n', stderr: '' };
    if (format === 'text') return { code, stdout: renderCheckText(result), stderr: '' };
    const repro: Reproducers = {};
    for (const p of result.patches) {
      for (const x of newErrors(p)) {
        for (const c of x.cells) {
          const b = got.builds.get(p.sha)?.find((y) => y.cell === c);
          const s = b ? buildReproducer(b) : null;
          if (s) (repro[p.sha] ??= {})[c] = s;
        }
      }
    }
    return { code, stdout: renderCheckMarkdown(result, repro), stderr: '' };
  });
}

/** Register `kmatrix check`. */
export function registerCheckCommand(program: Command, deps: CommandDeps = {}): void {
  addShardOptions(addStoreFlags(
    program
      .command('check')
      .description('build a patch series (default @{upstream}..HEAD, or HEAD~1..HEAD) and report what each patch introduces')
      .argument('[range]', 'A..B (a single rev R means R..HEAD)')
      .option('--tip-only', 'build only the base and the tip')
      .option('--worktree', 'include uncommitted changes to tracked files as a temporary last patch')
      .option('--format <fmt>', 'text (default), md (paste under the --- of a patch email) or json')
      .option('--json', 'same as --format json')
      .option('--no-build', 'do not build what the store lacks (exit 2 naming it)'),
    true,
  )).action((range: string | undefined, f: CheckFlags) => runAction(deps, (d) => checkCommand(range, f, d)));
}
