import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from '../../src/workspace/paths.js';
import type { CommandDeps } from '../../src/cli/command.js';
import { diffCommand as diffRaw } from '../../src/cli/diff.js';
import { logCommand as logRaw } from '../../src/cli/log.js';
import { nightlyCommand as nightlyRaw } from '../../src/cli/nightly.js';
import { reportCommand as reportRaw } from '../../src/cli/report.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { runMatrix } from '../../src/pipeline/run.js';
import { HostRuntime } from '../../src/runtime/host.js';
import { openStore } from '../../src/store/db.js';
import { lastNightly } from '../../src/store/queries.js';
import { guarded } from '../helpers/checkout.js';
import { replayTree, ROOT, tempDir } from '../helpers/replay.js';

// Every command also asserts it left the checkout of its --tree as it was (HEAD, index, status).
const diffCommand = guarded(diffRaw, (_a, _b, f) => f.tree);
const logCommand = guarded(logRaw, (_r, _c, f) => f.tree);
const nightlyCommand = guarded(nightlyRaw, (f) => f.tree);
const reportCommand = guarded(reportRaw, (_r, f) => f.tree);

/**
 * diff, nightly, report and log on real builds of the replay tree with the host runtime (the default
 * matrix may build in containers; the runtime is passed explicitly).
 */
const MATRIX = join(ROOT, 'matrix/zsmalloc-arm.yaml');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

interface DiffDoc {
  from: string;
  to: string;
  cells: { cell: string; from: string; to: string; transition: string; reason: string | null; new: { symbol: string; module: string }[]; reproducer: string | null }[];
  diagnostics: { change: string; kind: string; symbol: string | null; module: string | null; cells: string[] }[];
}

describe('diff, nightly, report, log on the replay tree (real host builds)', () => {
  let tree: string;
  let sha: Map<string, string>;
  let dir: string;
  let flags: { tree: string; matrix: string; db: string };
  const deps: CommandDeps = { runtime: new HostRuntime(), progress: 'plain' };
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      timings[name] = (Date.now() - t0) / 1000;
      process.stderr.write(`timing: ${name} ${timings[name]!.toFixed(1)} s\n`);
    }
  };

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].map(([label, c]) => [label, c.sha]));
    dir = tempDir('kmatrix-diff-');
    flags = { tree, matrix: MATRIX, db: join(dir, 'kmatrix.db') };
  });

  it('diff baseline → pgtable-mapping: UP and SMP regress with v7wbi_flush_kern_tlb_range in mm/zsmalloc.ko, shown once', async () => {
    const r = await timed('diff baseline→pgtable-mapping (builds 6)', () => diffCommand(sha.get('baseline')!, sha.get('pgtable-mapping')!, { ...flags, json: true }, deps));
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as DiffDoc;
    expect(d.from).toBe(sha.get('baseline'));
    expect(d.to).toBe(sha.get('pgtable-mapping'));
    expect(d.cells.map((c) => [c.cell, c.from, c.to, c.transition])).toEqual([
      ['virt-v7/UP', 'PASS', 'FAIL', 'regression'],
      ['virt-v7/SMP', 'PASS', 'FAIL', 'regression'],
      ['virt-v7/UP-on-SMP', 'PASS', 'PASS', 'still-passing'],
    ]);
    for (const c of d.cells.slice(0, 2)) {
      expect(c.new.map((x) => `${x.symbol} ${x.module}`)).toEqual(['v7wbi_flush_kern_tlb_range mm/zsmalloc.ko']);
      expect(c.reproducer).toContain(`KCONFIG_ALLCONFIG=`);
      expect(c.reproducer).toContain(sha.get('pgtable-mapping'));
    }
    const v7 = d.diagnostics.filter((x) => x.symbol === 'v7wbi_flush_kern_tlb_range');
    expect(v7).toHaveLength(1);
    expect(v7[0]).toMatchObject({ change: 'new', kind: 'modpost-undefined', module: 'mm/zsmalloc.ko', cells: ['virt-v7/UP', 'virt-v7/SMP'] });
  });

  it('diff again from the store only (--no-build): text shows the seed diagnostic once, with reproducers', async () => {
    const r = await timed('diff from store (no builds)', () =>
      diffCommand(sha.get('baseline')!, sha.get('pgtable-mapping')!, { ...flags, noBuild: true }, deps),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — UP, SMP\n');
    expect(r.stdout.match(/v7wbi_flush_kern_tlb_range undefined/g)).toHaveLength(1);
    expect(r.stdout).toContain('reproducers (failing cells');
  });

  it('--no-build refuses with exit 2 and names what is missing', async () => {
    const r = await diffCommand(sha.get('baseline')!, sha.get('real-fix')!, { ...flags, noBuild: true }, deps);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`virt-v7/UP @ ${sha.get('real-fix')!.slice(0, 12)}`);
    expect(r.stderr).toContain('virt-v7/UP-on-SMP');
  });

  it('--no-build with one side built by another toolchain (after a compiler upgrade) refuses with exit 2 naming it, never a not-comparable 0', async () => {
    // A copy of the store in which the baseline's builds were made with another compiler.
    const db = join(dir, 'other-toolchain.db');
    for (const ext of ['', '-wal']) if (existsSync(flags.db + ext)) copyFileSync(flags.db + ext, db + ext);
    const store = openStore(db);
    store.prepare(`UPDATE builds SET toolchain = 'arm-linux-gnueabi-gcc (older) 11.3.0' WHERE commit_sha = ?`).run(sha.get('baseline'));
    store.close();
    const r = await diffCommand(sha.get('baseline')!, sha.get('pgtable-mapping')!, { ...flags, db, noBuild: true }, deps);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`virt-v7/UP @ ${sha.get('baseline')!.slice(0, 12)} (stored build made with another toolchain: arm-linux-gnueabi-gcc (older) 11.3.0 [host])`);
  });

  it('diff pgtable-mapping → tip: fixed', async () => {
    const r = await timed('diff pgtable-mapping→tip (builds 3)', () => diffCommand(sha.get('pgtable-mapping')!, sha.get('tip')!, { ...flags, json: true }, deps));
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DiffDoc;
    expect(d.cells.map((c) => c.transition)).toEqual(['fixed', 'fixed', 'still-passing']);
    expect(d.diagnostics.filter((x) => x.change === 'gone').map((x) => [x.symbol, x.cells])).toEqual([
      ['v7wbi_flush_kern_tlb_range', ['virt-v7/UP', 'virt-v7/SMP']],
    ]);
  });

  it('nightly: baseline (nothing before: exit 0), then pgtable-mapping (regressions: exit 1); JUnit parses', async () => {
    const out = join(dir, 'nightly');
    mkdirSync(out, { recursive: true });
    const files = (n: string) => ({
      junit: join(out, `${n}.xml`),
      markdown: join(out, `${n}.md`),
      jsonFile: join(out, `${n}.json`),
      html: join(out, `${n}.html`),
    });
    const first = await timed('nightly baseline', () => nightlyCommand({ ...flags, ref: sha.get('baseline')!, ...files('n1') }, deps));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('baseline none');
    const second = await timed('nightly pgtable-mapping', () => nightlyCommand({ ...flags, ref: sha.get('pgtable-mapping')!, ...files('n2') }, deps));
    expect(second.code).toBe(1);
    const store = openStore(flags.db);
    expect(lastNightly(store, 'zsmalloc-arm')).toMatchObject({ sha: sha.get('pgtable-mapping'), baselineSha: sha.get('baseline'), regressions: 2, exitCode: 1 });
    store.close();
    for (const n of ['n1', 'n2']) {
      const summary = execFileSync(
        'python3',
        [
          '-c',
          `import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find('testsuite')
print(s.get('name'), s.get('tests'), s.get('failures'), s.get('errors'))
for t in s.findall('testcase'):
    f = t.find('failure')
    print(t.get('classname'), t.get('name'), 'FAIL' if f is not None else 'PASS', (f.text.splitlines()[1] if f is not None else ''))`,
          files(n).junit,
        ],
        { encoding: 'utf8' },
      );
      process.stderr.write(`${n} junit:\n${summary}`);
      if (n === 'n1') expect(summary.split('\n')[0]).toBe('zsmalloc-arm 3 0 0');
      else {
        expect(summary.trim().split('\n').map((l) => l.trimEnd())).toEqual([
          'zsmalloc-arm 3 2 0',
          'zsmalloc-arm virt-v7/UP FAIL modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko',
          'zsmalloc-arm virt-v7/SMP FAIL modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko',
          'zsmalloc-arm virt-v7/UP-on-SMP PASS',
        ]);
      }
    }
    const md = readFileSync(files('n2').markdown, 'utf8');
    expect(md).toContain('❌ **2 regression(s)**');
    expect(md).toContain('```sh');
    const j = JSON.parse(readFileSync(files('n2').jsonFile, 'utf8')) as { baseline: string; cells: { transition: string }[] };
    expect(j.baseline).toBe(sha.get('baseline'));
    expect(j.cells.map((c) => c.transition)).toEqual(['regression', 'regression', 'still-passing']);
    expect(readFileSync(files('n2').html, 'utf8')).not.toMatch(/https?:\/\//);
  });

  it('report: terminal grid and a self-contained HTML page that headless Chromium renders', async () => {
    // The rest of the interesting commits, so the grid tells the whole story.
    const matrix = loadMatrix(MATRIX);
    const store = openStore(flags.db);
    await timed('build the other 4 commits', () =>
      runMatrix({
        tree,
        matrix,
        cells: matrix.cells,
        revisions: ['zram-break', 'zram-fix', '2013-fix', 'real-fix'].map((l) => sha.get(l)!),
        store,
        cache: cacheRoot(),
        resultsDir: dir,
        runtime: new HostRuntime(),
        command: 'test',
        progress: 'plain',
      }),
    );
    store.close();
    const html = join(dir, 'report.html');
    const r = await timed('report --last 7', () => reportCommand(undefined, { ...flags, last: 7, html }, deps));
    expect(r.code).toBe(0);
    process.stderr.write(`report grid:\n${r.stdout.split('\n\nreproducers')[0]}\n`);
    const lines = r.stdout.split('\n');
    const row = (label: string) => lines.find((l) => l.startsWith(sha.get(label)!.slice(0, 12)))!;
    expect(row('tip')).toBe(lines[2]); // newest first
    expect(row('pgtable-mapping')).toMatch(/FAIL\*\s+FAIL\*\s+PASS$/);
    expect(row('2013-fix')).toMatch(/FAIL\s+FAIL\s+FAIL\*$/);
    expect(row('zram-break')).toMatch(/FAIL\*\s+FAIL\*\s+FAIL\*$/);
    expect(row('baseline')).toMatch(/PASS\s+PASS\s+PASS$/);

    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/https?:\/\//);
    // docker/setup.sh installs Debian's chromium: a missing browser is a broken setup, not a skip.
    expect(CHROMIUM, 'chromium is installed (docker/setup.sh)').toBeDefined();
    const chromium = (extra: string[], url: string) =>
      execFileSync(
        CHROMIUM!,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${mkdtempSync(join(tmpdir(), 'kmatrix-chromium-'))}`,
          ...extra,
          url,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      );
    const dom = chromium(['--dump-dom'], `file://${html}`);
    expect(dom).toContain('<table class="grid" id="grid">');
    expect(dom.match(/<td class="st /g)).toHaveLength(21);
    expect(dom.match(/data-status="PASS"/g)!.length).toBe(13);
    expect(dom.match(/data-status="FAIL"/g)!.length).toBe(8);
    // First failing: zram-break × 3, pgtable-mapping UP + SMP, 2013-fix UP-on-SMP.
    expect(dom.match(/data-first-failing="true"/g)).toHaveLength(6);
    expect(dom).toContain('v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko');
    // The detail of a failing cell: the log excerpt (from the gzipped log) and the reproducer.
    const id = /<tr data-sha="([0-9a-f]+)">/g;
    const rows = [...dom.matchAll(id)].map((m) => m[1]);
    const i = rows.indexOf(sha.get('pgtable-mapping'));
    const detail = dom.slice(dom.indexOf(`id="d-${i}-0"`), dom.indexOf('</section>', dom.indexOf(`id="d-${i}-0"`)));
    expect(detail).toContain('<span class="hit">');
    expect(detail).toContain('ERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!');
    expect(detail).toContain('allnoconfig');
    const png = join(ROOT, 'results', 'report-grid.png');
    const pngDetail = join(ROOT, 'results', 'report-detail.png');
    mkdirSync(join(ROOT, 'results'), { recursive: true });
    chromium([`--screenshot=${png}`, '--window-size=1400,900', '--hide-scrollbars'], `file://${html}`);
    chromium([`--screenshot=${pngDetail}`, '--window-size=1400,900', '--hide-scrollbars'], `file://${html}#d-${i}-0`);
    expect(statSync(png).size).toBeGreaterThan(10_000);
    expect(statSync(pngDetail).size).toBeGreaterThan(10_000);
  });

  it('log: whole log and --errors excerpts with context', async () => {
    const pg = sha.get('pgtable-mapping')!;
    const whole = await logCommand(pg.slice(0, 10), 'virt-v7/UP', flags, deps);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toContain('ERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!');
    expect(whole.stdout).toContain('$ make -C ');
    const ex = await logCommand(pg, 'virt-v7/UP', { ...flags, errors: true, context: 2 }, deps);
    expect(ex.stdout).toMatch(/^== modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm\/zsmalloc.ko\n/);
    expect(ex.stdout).toMatch(/\d+> ERROR: modpost: "v7wbi_flush_kern_tlb_range"/);
    expect(ex.stdout.split('\n').filter((l) => /^\s*\d+[|>] /.test(l))).toHaveLength(5);
    process.stderr.write(`timings: ${JSON.stringify(timings)}\n`);
  });
});
