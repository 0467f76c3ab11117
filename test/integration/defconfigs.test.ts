import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonGitDir, treeId } from '../../src/workspace/git.js';
import { cacheRoot, treeSlot } from '../../src/workspace/paths.js';
import { loadMatrix, type Cell } from '../../src/matrix/load.js';
import { resolveRuntime } from '../../src/runtime/select.js';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

interface JsonBuild {
  cell: string;
  status: string;
  stage: string;
  diagnostics: { kind: string; symbol: string | null; message: string }[];
}

/**
 * What the final .config says about one requested line, read with nothing of kmatrix (a plain text scan):
 * `CONFIG_X=v` must appear as is; `# CONFIG_X is not set` (=n) holds when no `CONFIG_X=` line is there.
 */
function sticks(dotconfig: string, symbol: string, value: string): boolean {
  const line = dotconfig.split('\n').find((l) => l.startsWith(`CONFIG_${symbol}=`));
  if (value === 'n') return line === undefined;
  return line !== undefined && line.slice(`CONFIG_${symbol}=`.length).replace(/^"(.*)"$/, '$1') === value;
}

/**
 * The in-tree defconfig matrix is too slow to build fully here, so its Kconfig stage is what is tested: every
 * cell configures, and kmatrix calls a cell PASS exactly when its requested lines are in the .config make wrote,
 * checked by a text scan independent of kmatrix's Kconfig code. The matrix is the shipped one with omap2plus's
 * `exclude: [SMP]` dropped, so one cell is known not to stick (CPU_V6 && SMP selects SMP_ON_UP) and the check
 * has both sides to see.
 */
describe('matrix/arm-defconfigs.yaml, Kconfig stage (real conf runs)', () => {
  let builds: JsonBuild[];
  let code: number;
  let cells: Cell[];
  let dotconfig: (cell: string) => string;

  beforeAll(async () => {
    const { tree, commits } = await replayTree();
    const dir = tempDir();
    const m = join(dir, 'arm-defconfigs.with-omap-smp.yaml');
    const yaml = readFileSync(join(ROOT, 'matrix/arm-defconfigs.yaml'), 'utf8');
    const edited = yaml
      .replace(/(omap2plus:\n(?:[ \t]+[^\n]*\n)*?)[ \t]+exclude: \[SMP\]\n/, '$1')
      .replace(/file: fragments\//g, `file: ${join(ROOT, 'matrix', 'fragments')}/`);
    expect(edited).not.toBe(yaml);
    writeFileSync(m, edited);
    cells = loadMatrix(m).cells;
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--matrix', m, '--kconfig-only', '--json', commits.get('tip')!.sha]);
    code = r.code;
    builds = (JSON.parse(r.stdout) as { builds: JsonBuild[] }).builds;
    const slot = treeSlot(cacheRoot(), treeId(await commonGitDir(tree)));
    const runtime = resolveRuntime(cells[0]!.runtime);
    dotconfig = (cell) => readFileSync(join(slot.buildDir(cell, runtime), '.config'), 'utf8');
    for (const b of builds) process.stderr.write(`  ${b.cell} ${b.status} ${b.diagnostics.map((d) => d.message).join(' | ')}\n`);
  });

  it('configures all nine cells and stops after Kconfig', () => {
    expect(builds.map((b) => b.cell).sort()).toEqual(
      ['multi_v7/SMP', 'multi_v7/UP', 'multi_v7/UP-on-SMP', 'omap2plus/UP', 'omap2plus/SMP', 'omap2plus/UP-on-SMP', 'imx_v6_v7/UP', 'imx_v6_v7/UP-on-SMP', 'versatile/UP'].sort(),
    );
    expect(builds.every((b) => b.stage === 'kconfig')).toBe(true);
  });

  it('PASS exactly when every requested line is in the .config (independent text scan), with both kinds of cell present', () => {
    const verdicts = builds.map((b) => {
      const cell = cells.find((c) => c.name === b.cell)!;
      const text = dotconfig(b.cell);
      const stuck = cell.fragment.every((l) => sticks(text, l.symbol, l.value));
      return { cell: b.cell, status: b.status, stuck };
    });
    for (const v of verdicts) expect({ cell: v.cell, pass: v.status === 'PASS' }).toEqual({ cell: v.cell, pass: v.stuck });
    expect(verdicts.filter((v) => v.stuck).length).toBeGreaterThan(0);
    expect(verdicts.filter((v) => !v.stuck).map((v) => v.cell)).toContain('omap2plus/SMP');
    expect(code).toBe(1);
  });

  it('the cell that did not stick names the symbol and the select that forced it', () => {
    const b = builds.find((x) => x.cell === 'omap2plus/SMP')!;
    expect(b.diagnostics).toContainEqual(expect.objectContaining({ kind: 'kconfig-unmet', symbol: 'CONFIG_SMP_ON_UP' }));
    expect(dotconfig('omap2plus/SMP')).toContain('CONFIG_SMP_ON_UP=y');
  });
});
