/** Faults injected into single builds: every cell that throws is recorded as ERROR with the cause; nothing is dropped. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellSlug } from '../../src/workspace/paths.js';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { runMatrix, type RunResult } from '../../src/pipeline/run.js';
import { runNightly } from '../../src/compare/nightly.js';
import { renderJunit } from '../../src/report/junit.js';
import { nightlyReport } from '../../src/report/nightly-report.js';
import { exitCodeFor } from '../../src/report/run-json.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { buildDiagnostics, openStore, runBuilds, type Store } from '../../src/store/db.js';
import { lastNightly } from '../../src/store/queries.js';
import { fakeRuntime, fakeTree, type FakeStep } from '../helpers/fake-tree.js';

const matrix = loadMatrix(DEFAULT_MATRIX);
const [UP, SMP, UPSMP] = matrix.cells as [(typeof matrix.cells)[0], (typeof matrix.cells)[0], (typeof matrix.cells)[0]];

async function run(o: { runtime?: Runtime; hook?: FakeStep; prepare?: (results: string, shas: string[]) => void; commits?: number; beforeRun?: (store: Store) => void }) {
  const { tree, shas } = fakeTree(o.commits ?? 2);
  const results = mkdtempSync(join(tmpdir(), 'kmatrix-faults-'));
  o.prepare?.(results, shas);
  const store = openStore(join(results, 'kmatrix.db'));
  o.beforeRun?.(store);
  const r: RunResult = await runMatrix({
    tree,
    matrix,
    cells: matrix.cells,
    revisions: shas,
    store,
    cache: join(results, 'cache'),
    resultsDir: results,
    runtime: o.runtime ?? fakeRuntime(matrix.cells, o.hook),
    command: 'test',
    progress: 'silent',
  });
  const rows = runBuilds(store, r.runId).map((b) => ({ ...b, diagnostics: buildDiagnostics(store, b.id) }));
  store.close();
  return { r, rows, shas, results };
}

// The first test's commits (short SHAs, as in log paths), known once its tree exists.
const ids = { first: '', second: '' };

const infraOf = (row: { diagnostics: { kind: string; message: string }[] }) => row.diagnostics.filter((d) => d.kind === 'infra').map((d) => d.message);

describe('a cell that throws is recorded, never dropped', () => {
  it('engine vanishing, gzip failing and an unreadable log each become one ERROR row naming the cause; the others PASS', async () => {
    const { r, rows, shas } = await run({
      hook: (spec, cell) => {
        // 1st commit, UP: the runtime itself throws (the engine disappeared).
        if (cell === UP && spec.logFile.includes(ids.first) && spec.argv.includes('allnoconfig')) {
          throw new Error('podman: executable file not found in $PATH (engine vanished)');
        }
        // 2nd commit, SMP: the log is replaced by a directory mid-build: it can be neither compressed nor classified.
        if (cell === SMP && spec.logFile.includes(ids.second) && spec.argv.includes('vmlinux')) {
          rmSync(spec.logFile);
          mkdirSync(spec.logFile);
        }
      },
      prepare: (results, shas) => {
        ids.first = shas[0]!.slice(0, 12);
        ids.second = shas[1]!.slice(0, 12);
        // 1st commit, UP-on-SMP: the .log.gz path is a directory: gzip cannot write it.
        mkdirSync(join(results, 'logs', 'run-1', shas[0]!.slice(0, 12), `${cellSlug(UPSMP.name)}.log.gz`), { recursive: true });
      },
    });
    // 2 commits × 3 cells, each recorded exactly once.
    expect(r.missing).toEqual([]);
    expect(rows).toHaveLength(6);
    const at = (sha: string, cell: string) => rows.find((x) => x.commitSha === sha && x.cell === cell)!;
    expect(at(shas[0]!, UP.name).status).toBe('ERROR');
    expect(infraOf(at(shas[0]!, UP.name)).join()).toMatch(/kconfig stage of virt-v7\/UP threw: podman: executable file not found/);
    expect(at(shas[0]!, UPSMP.name).status).toBe('ERROR');
    expect(infraOf(at(shas[0]!, UPSMP.name)).join()).toMatch(/EISDIR.*virt-v7__UP-on-SMP\.log\.gz/);
    // The plain log survives the failed gzip and is the recorded log.
    expect(at(shas[0]!, UPSMP.name).logPath).toMatch(/virt-v7__UP-on-SMP\.log$/);
    expect(at(shas[1]!, SMP.name).status).toBe('ERROR');
    expect(infraOf(at(shas[1]!, SMP.name)).join()).toMatch(/build stage of virt-v7\/SMP threw: EISDIR/);
    for (const [sha, cell] of [[shas[0]!, SMP.name], [shas[1]!, UP.name], [shas[1]!, UPSMP.name]] as const) expect(at(sha, cell).status).toBe('PASS');
    expect(exitCodeFor(r.builds.map((b) => b.status))).toBe(3);
  });

  it('a log directory that cannot be created: every cell ERROR with the cause, exit 3', async () => {
    const { r, rows } = await run({ prepare: (results) => writeFileSync(join(results, 'logs'), 'a file where the log dir goes') });
    expect(rows).toHaveLength(6);
    expect(rows.every((x) => x.status === 'ERROR')).toBe(true);
    expect(rows.every((x) => /^kmatrix: setup of virt-v7\/[\w-]+ threw: (ENOTDIR|EEXIST).*logs/.test(infraOf(x).join()))).toBe(true);
    expect(r.missing).toEqual([]);
    expect(exitCodeFor(r.builds.map((b) => b.status))).toBe(3);
  });

  it('a runtime whose toolchain cannot be identified: every cell ERROR naming it, nothing built', async () => {
    let execs = 0;
    const broken = fakeRuntime(matrix.cells, () => void execs++, async () => {
      throw new Error('docker: Cannot connect to the Docker daemon');
    });
    const { r, rows } = await run({ runtime: broken });
    expect(execs).toBe(0);
    expect(rows).toHaveLength(6);
    expect(rows.every((x) => x.status === 'ERROR' && /identifying the toolchain arm-linux-gnueabi-gcc failed: docker: Cannot connect/.test(infraOf(x).join()))).toBe(
      true,
    );
    expect(r.builds.every((b) => b.status === 'ERROR')).toBe(true);
  });

  it('a store that cannot record: the cell is reported missing with why (never silently absent)', async () => {
    const { r } = await run({
      commits: 1,
      // Recording fails for UP only: a trigger aborts its insert, as a full disk or a corrupt page would.
      beforeRun: (store) => {
        const cellRow = store.prepare(`INSERT INTO cells (name, config_hash, definition) VALUES (?, ?, '{}') RETURNING id`).get(UP.name, UP.hash) as { id: number };
        store.exec(`CREATE TRIGGER no_up BEFORE INSERT ON builds WHEN NEW.cell_id = ${cellRow.id} BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END`);
      },
    });
    expect(r.builds.map((b) => b.cell.name)).toEqual([SMP.name, UPSMP.name]);
    expect(r.missing.map((m) => [m.cell.name, m.reason])).toEqual([[UP.name, expect.stringMatching(/recording the build failed: disk I\/O error \(injected\)/)]]);
  });
});

describe('only complete nightlies are baselines', () => {
  it('a nightly with a cell that threw is recorded partial (exit 3); the next one compares against the last complete one and says so', async () => {
    const { tree, shas } = fakeTree(2);
    const results = mkdtempSync(join(tmpdir(), 'kmatrix-faults-'));
    const store = openStore(join(results, 'kmatrix.db'));
    const nightly = async (ref: string, rt: Runtime, rebuild = false) =>
      nightlyReport(await runNightly({
        store,
        tree,
        matrix,
        cells: matrix.cells,
        ref,
        runtimeName: 'host',
        runtime: async () => rt,
        rebuild,
        cache: join(results, 'cache'),
        resultsDir: results,
        command: 'nightly',
        progress: 'silent',
      }));
    const good = fakeRuntime(matrix.cells);
    const first = await nightly(shas[0]!, good);
    expect(first.report.partial).toBeNull();
    const broken = fakeRuntime(matrix.cells, (_spec, cell) => {
      if (cell === SMP) throw new Error('lost connection to the engine');
    });
    const second = await nightly(shas[1]!, broken);
    expect(second.report.partial).toBe('ERROR in virt-v7/SMP');
    expect(second.report.exitCode).toBe(3);
    expect(second.report.baselineNote).toMatch(/^nightly #1 .*the last complete one$/);
    expect(renderJunit(second.report)).toContain('name="kmatrix nightly zsmalloc-arm (partial)"');
    const third = await nightly(shas[1]!, good, true);
    expect(third.report.partial).toBeNull();
    expect(third.report.baselineSha).toBe(shas[0]);
    expect(third.report.baselineNote).toMatch(/^nightly #1 .*the last complete one; skipped partial #2 \(ERROR in virt-v7\/SMP\)$/);
    expect(third.report.exitCode).toBe(0);
    expect(lastNightly(store, matrix.name, { complete: true })?.id).toBe(third.report.id);
    store.close();
  });
});
