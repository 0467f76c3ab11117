/**
 * False greens behind a toolchain change (issue #9): stored builds are reused only with the current toolchain
 * identity, so diff and `nightly --baseline last` compare like with like, through the real store and pipeline.
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffCommand } from '../../src/cli/diff.js';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { ensureBuilds, MissingBuildsError } from '../../src/compare/builds.js';
import { diffBuilds, diffExitCode } from '../../src/compare/diff.js';
import { runNightly } from '../../src/compare/nightly.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { demoExitCode } from '../../src/report/run-json.js';
import type { Runtime, ToolchainIdentity } from '../../src/runtime/runtime.js';
import { openStore } from '../../src/store/db.js';
import { fakeRuntime, fakeTree } from '../helpers/fake-tree.js';

const matrix = loadMatrix(DEFAULT_MATRIX);
const SMP = matrix.cells.find((c) => c.name === 'virt-v7/SMP')!;
const GCC12 = 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0';
const GCC13 = 'arm-linux-gnueabi-gcc (Debian 13.2.0-1) 13.2.0';
const MODPOST = 'ERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!\nmake[1]: *** [scripts/Makefile.modpost:127: Module.symvers] Error 1\n';

/** A fake runtime reporting `compiler`; its build of SMP fails (modpost) at the commits in `failAt`. */
function toolchain(compiler: string, failAt: string[] = []): Runtime {
  const id = async (): Promise<ToolchainIdentity> => ({ runtime: 'host', image: null, compiler });
  return fakeRuntime(
    matrix.cells,
    (spec, cell) => {
      const building = !spec.argv.some((a) => a.startsWith('KCONFIG_CONFIG='));
      const head = readFileSync(spec.logFile, 'utf8').split('\n')[0] ?? '';
      if (building && cell === SMP && failAt.some((sha) => head.includes(sha))) {
        appendFileSync(spec.logFile, MODPOST);
        return { exitCode: 2 };
      }
      return undefined;
    },
    id,
  );
}

function setup() {
  const { tree, shas } = fakeTree(2);
  const results = mkdtempSync(join(tmpdir(), 'kmatrix-verdicts-'));
  const db = join(results, 'kmatrix.db');
  return { tree, shas, results, db, store: openStore(db) };
}

describe('stored builds are reused only with the current toolchain identity', () => {
  it('nightly --baseline last after a compiler upgrade rebuilds the baseline: the new FAIL is a regression (exit 1), not a hidden toolchain difference', async () => {
    const { tree, shas, results, store } = setup();
    const nightly = (ref: string, rt: Runtime) =>
      runNightly({ store, tree, matrix, cells: matrix.cells, ref, runtimeName: 'host', runtime: async () => rt, cache: join(results, 'cache'), resultsDir: results, command: 'nightly', progress: 'silent' });
    const first = await nightly(shas[0]!, toolchain(GCC12));
    expect(first).toMatchObject({ exitCode: 0, partial: null });
    // gcc 13 arrives with the second commit, which breaks SMP (only) under it.
    const second = await nightly(shas[1]!, toolchain(GCC13, [shas[1]!]));
    const smp = second.diff.cells.find((c) => c.cell === SMP.name)!;
    expect(smp).toMatchObject({ from: 'PASS', to: 'FAIL', transition: 'regression' });
    expect(second.diff.cells.every((c) => c.reason !== 'toolchain')).toBe(true);
    expect(second.baselineBuilds.map((b) => b.toolchain)).toEqual(matrix.cells.map(() => GCC13));
    expect(second.exitCode).toBe(1);
    expect(second.partial).toBeNull();
    // The same toolchain again: the baseline is the second nightly's own builds, nothing rebuilt, still a FAIL kept.
    const third = await nightly(shas[1]!, toolchain(GCC13, [shas[1]!]));
    expect(third.baselineBuilds.map((b) => b.id)).toEqual(second.builds.map((b) => b.id));
    expect(third.exitCode).toBe(0);
    store.close();
  });

  it('diff: a side built with another toolchain is rebuilt with the current one; with --no-build it is missing (exit 2 naming it)', async () => {
    const { tree, shas, results, db, store } = setup();
    const ctx = { store, tree, matrix, cells: matrix.cells, runtimeName: 'host', cache: join(results, 'cache'), resultsDir: results, command: 'test', progress: 'silent' as const };
    const rt12 = toolchain(GCC12);
    const rt13 = toolchain(GCC13, [shas[1]!]);
    await ensureBuilds({ ...ctx, runtime: async () => rt12, shas: [shas[0]!] });
    await ensureBuilds({ ...ctx, runtime: async () => rt13, shas: [shas[1]!] });
    // What the store-only comparison used to do: the old-toolchain PASS against the new-toolchain FAIL.
    const mixed = await ensureBuilds({ ...ctx, runtime: async () => rt12, identify: async () => null, shas: [shas[0]!], noBuild: true });
    const newSide = await ensureBuilds({ ...ctx, runtime: async () => rt13, shas: [shas[1]!], noBuild: true });
    expect(diffExitCode(diffBuilds(mixed.builds.get(shas[0]!)!, newSide.builds.get(shas[1]!)!))).toBe(3);
    // --no-build with gcc 13 current: the gcc 12 side counts as missing.
    await expect(ensureBuilds({ ...ctx, runtime: async () => rt13, shas, noBuild: true })).rejects.toThrow(MissingBuildsError);
    store.close();
    const flags = { tree, db, cells: SMP.name, build: false };
    const refused = await diffCommand(shas[0]!, shas[1]!, flags, { runtime: rt13, cache: join(results, 'cache'), progress: 'silent' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`virt-v7/SMP @ ${shas[0]!.slice(0, 12)} (stored build made with another toolchain: ${GCC12} [host])`);
    expect(refused.stdout).toBe('');
    // Building allowed: the gcc 12 side is rebuilt with gcc 13, and the regression is seen.
    const rebuilt = await diffCommand(shas[0]!, shas[1]!, { tree, db, cells: SMP.name }, { runtime: rt13, cache: join(results, 'cache'), progress: 'silent' });
    expect(rebuilt.stdout).toMatch(/virt-v7\/SMP\s+PASS\s+FAIL\s+regression/);
    expect(rebuilt.code).toBe(1);
    // And now --no-build finds both sides with gcc 13.
    expect((await diffCommand(shas[0]!, shas[1]!, flags, { runtime: rt13, cache: join(results, 'cache'), progress: 'silent' })).code).toBe(1);
  });
});

describe('demo exit code', () => {
  it('FAIL cells are the demo story (0); an ERROR or missing cell next to them, or an interrupt, is 3', () => {
    expect(demoExitCode(['PASS', 'FAIL', 'FAIL'], 0, false)).toBe(0);
    expect(demoExitCode(['PASS', 'FAIL', 'ERROR'], 0, false)).toBe(3);
    expect(demoExitCode(['PASS', 'FAIL'], 1, false)).toBe(3);
    expect(demoExitCode(['PASS'], 0, true)).toBe(3);
  });
});
