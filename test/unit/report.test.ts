import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { diffBuilds, type ComparableBuild } from '../../src/compare/diff.js';
import { partialReason } from '../../src/compare/nightly.js';
import { historyGrid, historyJson, renderHistoryText, type HistoryBuild } from '../../src/report/grid.js';
import { renderHistoryHtml } from '../../src/report/html.js';
import { renderJunit, xmlEscape } from '../../src/report/junit.js';
import { logExcerpts, readLog, renderExcerpts } from '../../src/report/log-excerpt.js';
import { renderNightlyMarkdown } from '../../src/report/markdown.js';
import { nightlyNotes, type NightlyReport } from '../../src/report/nightly-report.js';
import { imageIdRef, reproducer, shq } from '../../src/report/reproducer.js';
import type { BuildStatus, Diagnostic } from '../../src/types.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';

const V7WBI: Diagnostic = v7wbiDiagnostic();
const CE: Diagnostic = {
  kind: 'compile-error',
  severity: 'error',
  file: 'drivers/block/zram/zram_drv.c',
  line: 1234,
  column: 5,
  symbol: null,
  module: null,
  message: "'struct zram_stats' has no member named 'same_pages' <&> \"quoted\"\u0001",
  fingerprint: 'fp-ce',
};
const INFRA: Diagnostic = { ...V7WBI, kind: 'toolchain-missing', symbol: null, module: null, message: 'arm-linux-gnueabi-gcc: not found', fingerprint: 'fp-infra' };

const LOG = [
  'kmatrix: cell virt-v7/UP at e305d704',
  '$ make -C /cache/src O=/cache/build/virt-v7__UP ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- -k -j2 vmlinux zImage modules',
  '  CC [M]  mm/zsmalloc.o',
  '  CC [M]  drivers/block/zram/zram_drv.o',
  "/cache/src/drivers/block/zram/zram_drv.c:1234:5: error: ‘struct zram_stats’ has no member named ‘same_pages’",
  '  LD [M]  drivers/block/zram/zram.o',
  '  MODPOST Module.symvers',
  'ERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!',
  'make[2]: *** [scripts/Makefile.modpost:127: Module.symvers] Error 1',
  'make: *** [Makefile:250: __sub-make] Error 2',
].join('\n');

const CELL = {
  name: 'virt-v7/UP',
  arch: 'arm',
  crossCompile: 'arm-linux-gnueabi-',
  base: 'allnoconfig',
  fragment: [
    { symbol: 'ZSMALLOC', value: 'm', line: 1 },
    { symbol: 'SMP', value: 'n', line: 2 },
    { symbol: 'CMDLINE', value: "it's", line: 3, quoted: true },
  ],
  targets: ['vmlinux', 'zImage', 'modules'],
  image: 'kmatrix/arm-linux-gnueabi:bookworm',
  ociRuntime: 'runc',
  runtimeFlags: ['--ulimit', 'nofile=20000:20000'],
};
const SHA = 'e305d704e5d799ed18d04ee4b5af4f99c3c8d1d4';

function cb(cell: string, status: BuildStatus, diagnostics: Diagnostic[] = []): ComparableBuild {
  return { cell, commitSha: SHA, status, configHash: 'h', toolchain: 'gcc', runtime: 'host', image: null, diagnostics };
}

function nightly(): NightlyReport {
  const from = [cb('virt-v7/UP', 'PASS'), cb('virt-v7/SMP', 'PASS'), cb('virt-v7/UP-on-SMP', 'PASS')];
  const to = [cb('virt-v7/UP', 'FAIL', [V7WBI, CE]), cb('virt-v7/SMP', 'FAIL', [V7WBI]), cb('virt-v7/UP-on-SMP', 'ERROR', [INFRA])];
  const diff = diffBuilds(from, to, { fromSha: 'b'.repeat(40), toSha: SHA });
  return {
    id: 7,
    ref: 'main',
    sha: SHA,
    subject: 'zsmalloc: add page table mapping method',
    matrixName: 'zsmalloc-arm',
    matrixHash: 'abc',
    baselineSha: 'b'.repeat(40),
    baselineSubject: 'baseline',
    baselineNote: 'nightly #6 of 2024-09-30T02:00:00.000Z (main), the last complete one',
    partial: null,
    createdAt: '2024-10-01T02:00:00.000Z',
    diff,
    exitCode: 1,
    cells: diff.cells.map((change, i) => ({
      cell: change.cell,
      status: change.to,
      seconds: 7.5 + i,
      diagnostics: to[i]!.diagnostics,
      logPath: `/r/logs/${i}.log.gz`,
      reproducer: change.to === 'PASS' ? null : `make <targets> # ${change.cell}\n`,
      excerpts: i === 0 ? logExcerpts(LOG, to[0]!.diagnostics, { context: 1 }) : [],
      change,
    })),
  };
}

/** Parse XML with Python's ElementTree (a real XML parser); returns what the script prints. */
function pyXml(file: string, script: string): string {
  return execFileSync('python3', ['-c', `import sys, xml.etree.ElementTree as ET\nroot = ET.parse(sys.argv[1]).getroot()\n${script}`, file], {
    encoding: 'utf8',
  });
}

describe('JUnit', () => {
  it('is well-formed XML a parser accepts: a testcase per cell, failure / error with the diagnostics', () => {
    const xml = renderJunit(nightly());
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-junit-')), 'junit.xml');
    writeFileSync(file, xml);
    const out = pyXml(
      file,
      `s = root.find('testsuite')
print(root.tag, s.get('tests'), s.get('failures'), s.get('errors'))
for t in s.findall('testcase'):
    f = t.find('failure'); e = t.find('error')
    print(t.get('classname'), t.get('name'), 'failure' if f is not None else 'error' if e is not None else 'ok', (f if f is not None else e).get('type'))
print(s.find('testcase/failure').text.splitlines()[1])
print(s.findall('testcase')[0].find('failure').text.count('same_pages'))`,
    );
    expect(out.trim().split('\n')).toEqual([
      'testsuites 3 2 1',
      'zsmalloc-arm virt-v7/UP failure regression',
      'zsmalloc-arm virt-v7/SMP failure regression',
      'zsmalloc-arm virt-v7/UP-on-SMP error infrastructure',
      'modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko',
      '2',
    ]);
    // The control character in the compile error is dropped, markup is escaped.
    expect(xml).not.toContain('\u0001');
    expect(xml).toContain('&lt;&amp;&gt; &quot;quoted&quot;');
    expect(xmlEscape('a\u0000b<')).toBe('ab&lt;');
  });
});

describe('a partial nightly says so in every report', () => {
  // Interrupted with UP-on-SMP not built: as runNightly records it.
  const partialNightly = (): NightlyReport => {
    const r = nightly();
    const cells = r.cells.map((c) => (c.cell === 'virt-v7/UP-on-SMP' ? { ...c, status: null, diagnostics: [], logPath: null, reproducer: null, change: { ...c.change, to: null, transition: 'not-comparable' as const, reason: 'not-built' as const } } : c));
    const diff = { ...r.diff, cells: cells.map((c) => c.change) };
    return { ...r, cells, diff, partial: partialReason(diff, true), exitCode: 3 };
  };
  it('partialReason names the interrupt, ERROR and unbuilt cells; null when complete', () => {
    expect(partialNightly().partial).toBe('interrupted; not built: virt-v7/UP-on-SMP');
    expect(partialReason(nightly().diff, false)).toBe('ERROR in virt-v7/UP-on-SMP');
    const clean = diffBuilds([cb('a', 'PASS')], [cb('a', 'FAIL')]);
    expect(partialReason(clean, false)).toBeNull();
  });
  it('JUnit: suite name and a partial property; the unbuilt cell is skipped, not passed', () => {
    const xml = renderJunit(partialNightly());
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-junit-')), 'junit.xml');
    writeFileSync(file, xml);
    const out = pyXml(file, `print(root.get('name'))
print([p.get('value') for p in root.iter('property') if p.get('name') == 'partial'][0])
print(root.find('testsuite').get('skipped'))`);
    expect(out.trim().split('\n')).toEqual(['kmatrix nightly zsmalloc-arm (partial)', 'partial: interrupted; not built: virt-v7/UP-on-SMP', '1']);
    expect(renderJunit(nightly())).toContain('<property name="partial" value="complete"/>');
  });
  it('Markdown: heading and banner say partial; never "all cells pass" with an unbuilt cell', () => {
    const r = partialNightly();
    const allPass = { ...r, cells: r.cells.map((c) => (c.status ? { ...c, status: 'PASS' as const, change: { ...c.change, to: 'PASS' as const, transition: 'still-passing' as const } } : c)) };
    const md = renderNightlyMarkdown(allPass);
    expect(md).toMatch(/^# kmatrix nightly \(partial\): zsmalloc-arm/);
    expect(md).toContain('⚠️ **partial** nightly (interrupted; not built: virt-v7/UP-on-SMP)');
    expect(md).toContain('⚠️ **unknown**: not built: `virt-v7/UP-on-SMP`');
    expect(md).not.toContain('all cells pass');
    expect(md).toContain('- baseline chosen: nightly #6');
  });
  it('HTML: title and notes say partial', () => {
    const r = partialNightly();
    const g = historyGrid([{ sha: r.sha, subject: r.subject }], r.cells.map((c) => c.cell), [], {
      title: `kmatrix nightly #7 (partial): zsmalloc-arm`,
      notes: nightlyNotes(r),
    });
    const html = renderHistoryHtml(g);
    expect(html).toContain('<title>kmatrix nightly #7 (partial): zsmalloc-arm</title>');
    expect(html).toContain('PARTIAL nightly (interrupted; not built: virt-v7/UP-on-SMP): not a baseline for the next one');
  });
});

describe('Markdown', () => {
  it('verdict, per-cell table, new errors once with cells, failing cells with reproducer', () => {
    const md = renderNightlyMarkdown(nightly());
    expect(md).toMatch(/^# kmatrix nightly: zsmalloc-arm @ `e305d704e5d7`/);
    expect(md).toContain('❌ **2 regression(s)**: `virt-v7/UP`, `virt-v7/SMP`');
    expect(md).toContain('| `virt-v7/UP` | ✅ PASS | ❌ FAIL | regression |');
    expect(md).toContain('| `virt-v7/UP-on-SMP` | ✅ PASS | ⚠️ ERROR | not comparable (error) |');
    expect(md).toContain('- `modpost-undefined` v7wbi\\_flush\\_kern\\_tlb\\_range undefined in mm/zsmalloc.ko — UP, SMP');
    expect(md.match(/```sh/g)).toHaveLength(3);
    expect(md).toContain('<details><summary>log excerpt</summary>');
  });
});

describe('history grid, terminal and HTML', () => {
  const commits = [
    { sha: 'c'.repeat(40), subject: 'tip' },
    { sha: SHA, subject: 'zsmalloc: add page table mapping method' },
    { sha: 'a'.repeat(40), subject: 'baseline <b>' },
  ];
  const hb = (sha: string, cell: string, status: BuildStatus, diagnostics: Diagnostic[] = []): HistoryBuild => ({
    commitSha: sha,
    cell,
    status,
    diagnostics,
    seconds: 7,
    logPath: '/r/x.log.gz',
    toolchain: 'gcc 12',
    runtime: 'host',
    reproducer: status === 'FAIL' ? reproducer({ cell: CELL, sha, tree: '/t/.git', runtime: 'host' }) : null,
    excerpts: status === 'FAIL' ? logExcerpts(LOG, diagnostics, { context: 2 }) : [],
  });
  const cells = ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP'];
  const grid = historyGrid(
    commits,
    cells,
    [
      hb('a'.repeat(40), 'virt-v7/UP', 'PASS'),
      hb('a'.repeat(40), 'virt-v7/SMP', 'PASS'),
      hb(SHA, 'virt-v7/UP', 'FAIL', [V7WBI]),
      hb(SHA, 'virt-v7/SMP', 'FAIL', [V7WBI]),
      hb(SHA, 'virt-v7/UP-on-SMP', 'FAIL', [V7WBI]),
      hb('c'.repeat(40), 'virt-v7/UP', 'FAIL', [V7WBI]),
      hb('c'.repeat(40), 'virt-v7/SMP', 'PASS'),
    ],
    { title: 'replay', generatedAt: 'now' },
  );

  it('marks the first failing commit per cell (PASS before), not later failures nor failures with no PASS before', () => {
    expect(grid.entries.map((row) => row.map((e) => `${e.status ?? '-'}${e.firstFailing ? '*' : ''}`))).toEqual([
      ['FAIL', 'PASS', '-'],
      ['FAIL*', 'FAIL*', 'FAIL'],
      ['PASS', 'PASS', '-'],
    ]);
    const text = renderHistoryText(grid);
    expect(text.split('\n')[0]).toMatch(/^commit \(newest first\)\s+virt-v7\/UP\s+virt-v7\/SMP\s+virt-v7\/UP-on-SMP$/);
    expect(text).toMatch(/e305d704e5d7 zsmalloc: add page table mapping method\s+FAIL\*\s+FAIL\*\s+FAIL/);
    expect(text).toContain('·');
    expect(text.match(/modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm\/zsmalloc.ko — UP, SMP, UP-on-SMP/g)).toHaveLength(1);
    expect(text.match(/^## /gm)).toHaveLength(4); // a reproducer for each of the four failing cells
    expect(renderHistoryText(grid, { reproducers: false })).not.toContain('## ');
    const j = historyJson(grid) as { grid: { status: string | null; firstFailing: boolean }[] };
    expect(j.grid).toHaveLength(9);
    expect(j.grid.filter((x) => x.firstFailing)).toHaveLength(2);
  });

  it('HTML: self-contained (no http(s) references, inline CSS/JS only), grid, legend, markers, details with excerpt and reproducer', () => {
    const html = renderHistoryHtml(grid);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b|<script[^>]+src=|<img\b|@import|url\(/);
    expect(html).toContain('<table class="grid"');
    expect(html.match(/<td class="st /g)).toHaveLength(9);
    expect(html.match(/data-first-failing="true"/g)).toHaveLength(2);
    expect(html).toContain('class="legend"');
    expect(html).toContain('baseline &lt;b&gt;');
    expect(html).toContain('id="d-1-0"');
    expect(html).toContain('<span class="hit">');
    expect(html).toContain('KCONFIG_ALLCONFIG=');
    expect(html).toContain('ERROR: modpost: &quot;v7wbi_flush_kern_tlb_range&quot;');
  });
});

describe('log excerpts', () => {
  it('finds each error in the log (absolute paths, curly quotes) with context; renders with a marker', () => {
    const ex = logExcerpts(LOG, [CE, V7WBI, { ...V7WBI, severity: 'warning', fingerprint: 'w' }], { context: 1 });
    expect(ex.map((e) => [e.hit, e.start, e.lines.length])).toEqual([
      [5, 4, 3],
      [8, 7, 3],
    ]);
    const text = renderExcerpts(ex);
    expect(text).toContain('    8> ERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!');
    expect(text).toContain('\n--\n');
    expect(logExcerpts(LOG, [V7WBI], { context: 50, maxChars: 100 })).toEqual([]);
  });

  it('reads gzipped and plain logs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-log-'));
    writeFileSync(join(dir, 'a.log.gz'), gzipSync(LOG));
    writeFileSync(join(dir, 'b.log'), LOG);
    expect(readLog(join(dir, 'a.log.gz'))).toBe(LOG);
    expect(readLog(join(dir, 'b.log'))).toBe(LOG);
    expect(readLog(join(dir, 'missing'))).toBeNull();
  });
});

describe('reproducer', () => {
  it('host: worktree at the sha, fragment via heredoc, allnoconfig with KCONFIG_ALLCONFIG, make -k with targets', () => {
    const r = reproducer({ cell: CELL, sha: SHA, subject: 's', tree: '/home/u/linux/.git', runtime: 'host' });
    const O = '/tmp/kmatrix-repro/e305d704e5d7/build/virt-v7__UP';
    const S = '/tmp/kmatrix-repro/e305d704e5d7/src';
    expect(r.split('\n')).toEqual([
      '# reproduce virt-v7/UP at e305d704e5d7 (s) — host toolchain',
      `git -C /home/u/linux worktree add --detach ${S} ${SHA} || git -C ${S} checkout --detach --force ${SHA}`,
      `mkdir -p ${O}`,
      `cat > ${O}/kmatrix.fragment <<'EOF'`,
      'CONFIG_ZSMALLOC=m',
      '# CONFIG_SMP is not set',
      `CONFIG_CMDLINE="it's"`,
      'EOF',
      `make -C ${S} O=${O} ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- KCONFIG_ALLCONFIG=${O}/kmatrix.fragment allnoconfig`,
      `make -C ${S} O=${O} ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- -k -j$(nproc) vmlinux zImage modules`,
      '',
    ]);
  });

  it('defconfig base: defconfig, append the fragment, olddefconfig', () => {
    const r = reproducer({ cell: { ...CELL, base: 'multi_v7_defconfig' }, sha: SHA, tree: null, runtime: 'host', makeJobs: 4 });
    expect(r).toContain('git -C . worktree add');
    expect(r).toMatch(/ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- multi_v7_defconfig\n/);
    expect(r).toMatch(/cat \S+\/kmatrix.fragment >> \S+\/\.config/);
    expect(r).toMatch(/ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- olddefconfig\n/);
    expect(r).toContain('-k -j4 vmlinux');
  });

  it('container: each make wrapped in `podman run` with the image, OCI runtime, flags and mounts', () => {
    const r = reproducer({ cell: CELL, sha: SHA, tree: '/home/u/linux', runtime: 'podman', image: 'sha256:1234', user: { uid: 1000, gid: 1000 } });
    const makes = r.split('\n').filter((l) => l.includes(' make '));
    expect(makes).toHaveLength(2);
    for (const m of makes) {
      expect(m).toMatch(/^podman --runtime runc run --rm --name kmatrix-repro --pull=never --network=none --userns=keep-id --ulimit nofile=20000:20000 /);
      expect(m).toContain('-v /home/u/linux/.git:/home/u/linux/.git:ro');
      expect(m).toContain('-v /tmp/kmatrix-repro/e305d704e5d7/src:/tmp/kmatrix-repro/e305d704e5d7/src:ro');
      expect(m).toContain(' kmatrix/arm-linux-gnueabi:bookworm make -C ');
    }
    expect(r).toContain('# image at build time: sha256:1234');
    expect(shq("a b'c")).toBe(`'a b'\\''c'`);
  });

  it('container: runs the image by its ID when the store has the full ID (a run with --image X used another image than the matrix names)', () => {
    const id = `sha256:${'ab'.repeat(32)}`;
    const r = reproducer({ cell: CELL, sha: SHA, tree: '/home/u/linux', runtime: 'podman', image: id });
    const makes = r.split('\n').filter((l) => l.includes(' make '));
    expect(makes).toHaveLength(2);
    for (const m of makes) expect(m).toContain(` ${id} make -C `);
    expect(r).not.toContain(' kmatrix/arm-linux-gnueabi:bookworm make ');
    expect(r).toContain(`# image at build time: ${id} (by ID; if this ID is gone, use the matrix's kmatrix/arm-linux-gnueabi:bookworm instead`);
    expect(imageIdRef(id)).toBe(id);
    expect(imageIdRef('sha256:1234')).toBeNull();
    expect(imageIdRef('kmatrix/x:y')).toBeNull();
    expect(imageIdRef(null)).toBeNull();
  });

  it('the host reproducer is valid sh (sh -n)', () => {
    const r = reproducer({ cell: CELL, sha: SHA, tree: '/t', runtime: 'docker' });
    execFileSync('sh', ['-n', '-c', r]);
  });
});
