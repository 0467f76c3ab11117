#!/usr/bin/env node
// `npm run bench` (issue 11): kmatrix next to the loops people run by hand, in one run, on the replay tree.
//
//   (a) kmatrix run over K consecutive commits × C cells (container, its own warm cache and a fresh store)
//   (b) a fresh-build loop: a new O= per commit × cell (plain make, host toolchain)
//   (c) a skilled hand loop: one persistent O= per cell, `git checkout` + make per commit (host toolchain)
//   (d) (a) again on the same range: every result reused from the store
//   (e) kmatrix bisect of the UP modpost failure over the replay series, with and without ccache
//   (f) the same bisect when a widely included header changes just before the culprit (in a bench-only copy of
//       the series), with and without ccache: each step crosses the header change, as a bisect across a long
//       range of real history does; not in the default set (about 25 min on 2 cores)
//   --sched: one build at a time at -jN vs one per CPU at -j1 vs 1.5 per CPU at -j1 (incremental; cold: the first two)
//
// Every variant has its own work dirs under --work (its own KMATRIX_CACHE, O= dirs, source clone), warmed
// before timing (warm-ups are not counted). Prints wall and CPU seconds (children's CPU from /proc/self/stat;
// container builds' CPU from their own cgroup, --cgroup-parent), per-build medians, per-stage medians from
// `run --json`, ccache counts, the ratios, machine facts and load, and a Markdown block for bench/RESULTS.md.
//
// (a)'s warm-up is reported too (a₀: the C cold builds one after another, with an empty ccache), per cell, with
// its ccache hits: a cell built after one that shares most objects (UP-on-SMP after SMP) shows what sharing gives.
//
// Usage: npm run bench -- [--commits K] [--cells C] [--only a,b,c,d,e,f] [--b-sample N] [--sched] [--work DIR] [--keep]
//   --b-sample N: (b) builds N commits per cell (spread over the range, first and last included) instead of all K,
//                 and reports its total as estimated (per-cell mean × K); the table says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { effectiveCpus } from '../dist/runtime/cpus.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ccacheTotals, childCpuFromStat, estimateTotal, fmtR, fmtS, machineFacts, mdTable, median, perCell, ratio, fastest, spread, stageMedians } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'kmatrix.js');
const { values: opt } = parseArgs({
  options: {
    commits: { type: 'string', default: '2' },
    cells: { type: 'string', default: '1' },
    only: { type: 'string', default: 'a,b,c,d,e' },
    'b-sample': { type: 'string' },
    sched: { type: 'boolean', default: false },
    work: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const K = Number(opt.commits);
const C = Number(opt.cells);
if (!Number.isInteger(K) || K < 1 || K > 32) throw new Error(`--commits: 1..32, got ${opt.commits}`);
if (!Number.isInteger(C) || C < 1 || C > 3) throw new Error(`--cells: 1..3, got ${opt.cells}`);
const only = new Set(opt.only.split(',').map((s) => s.trim()));
for (const v of only) if (!'abcdef'.includes(v) || v.length !== 1) throw new Error(`--only: letters a..f separated by commas, got ${opt.only}`);
const B_SAMPLE = opt['b-sample'] === undefined ? K : Number(opt['b-sample']);
if (!Number.isInteger(B_SAMPLE) || B_SAMPLE < 1) throw new Error(`--b-sample: a positive integer, got ${opt['b-sample']}`);
const NPROC = effectiveCpus();
const WORK = resolve(opt.work ?? mkdtempSync('/var/tmp/kmatrix-bench-'));
mkdirSync(WORK, { recursive: true });
const CG = `kmatrix-bench-${process.pid}`;
const cgroupsMade = [];

// ---------------------------------------------------------------- measuring
const log = (s) => process.stderr.write(`bench: ${s}\n`);
const childCpu = () => childCpuFromStat(readFileSync('/proc/self/stat', 'utf8'));
/** CPU seconds of the containers run under a cgroup parent (cgroup v1 cpuacct, else v2 cpu.stat); 0 if unreadable. */
function cgroupCpu(parent) {
  for (const f of [`/sys/fs/cgroup/cpuacct/${parent}/cpuacct.usage`, `/sys/fs/cgroup/cpu,cpuacct/${parent}/cpuacct.usage`]) {
    if (existsSync(f)) return Number(readFileSync(f, 'utf8')) / 1e9;
  }
  const v2 = `/sys/fs/cgroup/${parent}/cpu.stat`;
  if (existsSync(v2)) return Number(/usage_usec (\d+)/.exec(readFileSync(v2, 'utf8'))?.[1] ?? 0) / 1e6;
  return 0;
}
/** Run a command to completion; wall and CPU (children + the given cgroup's containers) seconds. */
function timed(cmd, args, o = {}) {
  const cpu0 = childCpu();
  const cg0 = o.cgroup ? cgroupCpu(o.cgroup) : 0;
  const t0 = process.hrtime.bigint();
  const out = o.logFile ? openSync(o.logFile, 'a') : 'pipe';
  const r = spawnSync(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', out, o.logFile ? out : 'pipe'], maxBuffer: 1 << 30, encoding: 'utf8' });
  if (typeof out === 'number') closeSync(out);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = childCpu() - cpu0 + (o.cgroup ? cgroupCpu(o.cgroup) - cg0 : 0);
  if (r.error) throw r.error;
  if (r.status !== 0 && !o.okCodes?.includes(r.status)) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${(r.stderr ?? '').slice(-4000)}${o.logFile ? `\n(log: ${o.logFile})` : ''}`);
  }
  return { wall, cpu, code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
const git = (dir, ...args) => timed('git', ['-C', dir, ...args]).stdout.trim();

/** kmatrix with its own cache and results dirs; container builds are accounted in the variant's cgroup. */
function kmatrix(label, dirs, args, o = {}) {
  const cgroup = `${CG}-${label}`;
  if (!cgroupsMade.includes(cgroup)) cgroupsMade.push(cgroup);
  const flags = [`--runtime-flag=--cgroup-parent=/${cgroup}`];
  return timed(process.execPath, [BIN, ...args, ...flags], {
    env: { KMATRIX_CACHE: dirs.cache, KMATRIX_RESULTS: dirs.results, CI: 'true' },
    cgroup,
    okCodes: o.okCodes ?? [0, 1],
  });
}
const dirsOf = (name) => {
  const d = { cache: join(WORK, name, 'cache'), results: join(WORK, name, 'results') };
  mkdirSync(d.cache, { recursive: true });
  mkdirSync(d.results, { recursive: true });
  return d;
};

// ---------------------------------------------------------------- the machine
function facts() {
  const f = machineFacts({
    cpuinfo: readFileSync('/proc/cpuinfo', 'utf8'),
    meminfo: readFileSync('/proc/meminfo', 'utf8'),
    loadavg: readFileSync('/proc/loadavg', 'utf8'),
  });
  const up = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  return { ...f, nproc: NPROC, uptime: up, date: new Date().toISOString() };
}
const describe = (f) => `${f.nproc} × ${f.model}, ${f.ramGiB} GiB RAM, Node ${process.version}; ${f.date}; uptime: ${f.uptime}`;

// ---------------------------------------------------------------- setup
const start = facts();
log(`machine: ${describe(start)}`);
log(`work dir: ${WORK}`);
const tree = timed(process.execPath, [BIN, 'demo', '--path']).stdout.trim();
const all = git(tree, 'rev-list', '--reverse', 'HEAD').split('\n');
const subject = (sha) => git(tree, 'log', '-1', '--format=%s', sha);
const range = all.slice(all.length - K);
const warm = all[all.length - K - 1];
const { loadMatrix } = await import(join(ROOT, 'dist', 'matrix', 'load.js'));
const { renderFragment } = await import(join(ROOT, 'dist', 'matrix', 'fragment.js'));
const { WARM_BUILDS_PER_CPU } = await import(join(ROOT, 'dist', 'pipeline', 'run.js'));
const matrix = loadMatrix(join(ROOT, 'matrix', 'zsmalloc-arm.yaml'));
const cells = matrix.cells.slice(0, C);
const cellGlob = cells.map((c) => c.name).join(',');
const help = timed(process.execPath, [BIN, 'run', '--help']).stdout;
const hasNoCcache = help.includes('--no-ccache');
log(`replay tree ${tree}: ${all.length} commits; range ${K} commit(s) ${range[0].slice(0, 12)}..${range.at(-1).slice(0, 12)} (warm-up at ${warm.slice(0, 12)}); cells ${cellGlob}; make -j${NPROC}`);
if (!hasNoCcache) log('this kmatrix has no --no-ccache: the "without ccache" runs are the same as "with"');

const R = {};

/** A clone of the replay tree for the hand loops (the shared tree itself is never checked out). */
function cloneAt(name, sha) {
  const dir = join(WORK, name);
  if (!existsSync(dir)) timed('git', ['clone', '-q', '--shared', '--no-checkout', tree, dir]);
  timed('git', ['-C', dir, 'checkout', '-q', '--detach', sha]);
  return dir;
}
const makeArgs = (src, o, extra) => ['-C', src, `O=${o}`, `ARCH=${matrix.cells[0].arch}`, `CROSS_COMPILE=${matrix.cells[0].crossCompile}`, ...extra];
/** Configure an O= dir for a cell as kmatrix does (base config + the cell's fragment). */
function configure(src, o, cell, logFile) {
  mkdirSync(o, { recursive: true });
  const frag = join(o, 'bench.fragment');
  writeFileSync(frag, renderFragment(cell.fragment));
  return timed('make', makeArgs(src, o, [`KCONFIG_ALLCONFIG=${frag}`, cell.base]), { logFile });
}
const build = (src, o, cell, logFile) => timed('make', makeArgs(src, o, [`-j${NPROC}`, ...cell.targets]), { logFile, okCodes: [0, 2] });

// ---------------------------------------------------------------- (a) kmatrix, then (d) the same again
if (only.has('a') || only.has('d')) {
  const d = dirsOf('a');
  log(`(a₀) warm-up: kmatrix run ${cellGlob} at ${warm.slice(0, 12)}: ${C} cold build(s), empty ccache (reported, not in a)`);
  const a0 = kmatrix('a', d, ['run', '--tree', tree, '--cells', cellGlob, '--json', warm]);
  const b0 = JSON.parse(a0.stdout).builds;
  R.a0 = { wall: a0.wall, cpu: a0.cpu, builds: b0.length, perBuild: median(b0.map((b) => b.seconds)), cells: perCell(b0) };
  log(`(a₀) ${fmtS(a0.wall)} s wall; ${R.a0.cells.map((c) => `${c.cell} ${fmtS(c.seconds)} s (ccache ${c.hits}/${c.misses})`).join(', ')}`);
  log(`(a) kmatrix run over ${K} commit(s) × ${C} cell(s)`);
  const a = kmatrix('a', d, ['run', '--tree', tree, '--cells', cellGlob, '--json', ...range]);
  const builds = JSON.parse(a.stdout).builds;
  R.a = {
    wall: a.wall,
    cpu: a.cpu,
    builds: builds.length,
    cached: builds.filter((b) => b.cached).length,
    perBuild: median(builds.map((b) => b.seconds)),
    stages: stageMedians(builds),
    ccache: ccacheTotals(builds),
    statuses: builds.map((b) => b.status).join(' '),
  };
  log(`(a) ${fmtS(a.wall)} s wall, ${fmtS(a.cpu)} s CPU; ${builds.length} builds (${R.a.cached} reused)`);
  if (only.has('d')) {
    log('(d) the same run again (results reused from the store)');
    const dd = kmatrix('a', d, ['run', '--tree', tree, '--cells', cellGlob, '--json', ...range]);
    const b2 = JSON.parse(dd.stdout).builds;
    R.d = { wall: dd.wall, cpu: dd.cpu, builds: b2.length, cached: b2.filter((b) => b.cached).length };
    log(`(d) ${fmtS(dd.wall, 2)} s wall, ${fmtS(dd.cpu, 2)} s CPU; ${b2.length} builds (${R.d.cached} reused)`);
  }
}

/** A by-hand loop over the range: `git checkout` per commit (counted), then `step` per cell (null: skipped); wall, CPU and per-build seconds. */
function handLoop(src, step) {
  const per = [];
  let wall = 0;
  let cpu = 0;
  for (const sha of range) {
    const co = timed('git', ['-C', src, 'checkout', '-q', '--detach', sha]);
    wall += co.wall;
    cpu += co.cpu;
    for (const cell of cells) {
      const m = step(sha, cell);
      if (m === null) continue; // not in the sample
      per.push(m.wall);
      wall += m.wall;
      cpu += m.cpu;
    }
  }
  return { wall, cpu, per };
}

// ---------------------------------------------------------------- (c) skilled hand loop
if (only.has('c')) {
  const src = cloneAt('c-src', warm);
  const logs = join(WORK, 'c-logs');
  mkdirSync(logs, { recursive: true });
  log(`(c) warm-up: configure + build ${C} O= dir(s) at ${warm.slice(0, 12)} (not counted)`);
  for (const cell of cells) {
    const o = join(WORK, 'c-o', cell.name.replace(/\//g, '__'));
    configure(src, o, cell, join(logs, 'warm.log'));
    build(src, o, cell, join(logs, 'warm.log'));
  }
  log(`(c) hand loop: git checkout + make -j${NPROC} ${cells[0].targets.join(' ')} per commit × cell`);
  const { wall, cpu, per } = handLoop(src, (sha, cell) => build(src, join(WORK, 'c-o', cell.name.replace(/\//g, '__')), cell, join(logs, `${sha.slice(0, 12)}.log`)));
  R.c = { wall, cpu, builds: per.length, perBuild: median(per) };
  log(`(c) ${fmtS(wall)} s wall, ${fmtS(cpu)} s CPU; per build ${per.map((s) => s.toFixed(1)).join(' ')}`);
}

// ---------------------------------------------------------------- (b) fresh-build loop
if (only.has('b')) {
  const src = cloneAt('b-src', warm);
  const logs = join(WORK, 'b-logs');
  mkdirSync(logs, { recursive: true });
  const picked = new Set(spread(range, B_SAMPLE));
  const sampled = picked.size < range.length;
  log(`(b) fresh-build loop: a new O= per commit × cell (${picked.size * C} cold builds${sampled ? ` of ${K * C}: ${picked.size} commit(s) per cell, the total estimated` : ''})`);
  const samples = [];
  const { wall, cpu, per } = handLoop(src, (sha, cell) => {
    if (!picked.has(sha)) return null;
    const o = join(WORK, 'b-o', `${sha.slice(0, 12)}-${cell.name.replace(/\//g, '__')}`);
    const lf = join(logs, `${sha.slice(0, 12)}.log`);
    const cfg = configure(src, o, cell, lf);
    const m = build(src, o, cell, lf);
    rmSync(o, { recursive: true, force: true });
    log(`(b) ${sha.slice(0, 12)} ${cell.name}: ${(cfg.wall + m.wall).toFixed(1)} s`);
    samples.push({ cell: cell.name, seconds: cfg.wall + m.wall, cpu: cfg.cpu + m.cpu });
    return { wall: cfg.wall + m.wall, cpu: cfg.cpu + m.cpu };
  });
  if (sampled) {
    const estWall = estimateTotal(samples, K);
    const estCpu = estimateTotal(samples.map((x) => ({ cell: x.cell, seconds: x.cpu })), K);
    R.b = { wall: estWall, cpu: estCpu, builds: K * C, perBuild: median(per), estimated: { built: per.length, measuredWall: wall, min: Math.min(...per), max: Math.max(...per) } };
    log(`(b) measured ${fmtS(wall)} s wall for ${per.length} builds (${fmtS(R.b.estimated.min)}–${fmtS(R.b.estimated.max)} s each); estimated for ${K * C}: ${fmtS(estWall)} s wall, ${fmtS(estCpu)} s CPU`);
  } else {
    R.b = { wall, cpu, builds: per.length, perBuild: median(per) };
    log(`(b) ${fmtS(wall)} s wall, ${fmtS(cpu)} s CPU`);
  }
}

// ---------------------------------------------------------------- (e), (f) bisect, with and without ccache
/** kmatrix bisect of virt-v7/UP's modpost failure in `src` from GOOD to BAD, with and without ccache, each after a warm-up build at BAD. */
async function bisectPair(key, src, good, bad) {
  const span = git(src, 'rev-list', '--count', `${good}..${bad}`);
  const out = { good, bad, span: Number(span) };
  for (const [name, ccache] of [
    ['with', true],
    ['without', false],
  ]) {
    const d = dirsOf(`${key}-${name}`);
    const off = ccache || !hasNoCcache ? [] : ['--no-ccache'];
    log(`(${key} ${name} ccache) warm-up: kmatrix run virt-v7/UP at BAD ${bad.slice(0, 12)} (not counted)`);
    kmatrix(`${key}-${name}`, d, ['run', '--tree', src, '--cells', 'virt-v7/UP', '--db', join(d.results, 'warm.db'), ...off, bad]);
    log(`(${key} ${name} ccache) kmatrix bisect --good ${good.slice(0, 12)} --bad ${bad.slice(0, 12)} (${span} commits) --cell virt-v7/UP`);
    const db = join(d.results, 'bisect.db');
    const r = kmatrix(`${key}-${name}`, d, ['bisect', '--tree', src, '--good', good, '--bad', bad, '--cell', 'virt-v7/UP', '--match', 'symbol:v7wbi_flush_kern_tlb_range', '--json', '--db', db, ...off], {
      okCodes: [0, 1],
    });
    const doc = JSON.parse(r.stdout);
    const { default: Database } = await import('better-sqlite3');
    const s = new Database(db, { readonly: true });
    const cols = s.prepare(`SELECT name FROM pragma_table_info('builds')`).all().map((x) => x.name);
    const cc = cols.includes('ccache_hits')
      ? s.prepare(`SELECT sum(ccache_hits) AS hits, sum(ccache_misses) AS misses, sum(ccache_uncacheable) AS uncacheable, count(ccache_hits) AS n FROM builds`).get()
      : null;
    const secs = s.prepare(`SELECT seconds FROM builds ORDER BY id`).all().map((x) => x.seconds);
    s.close();
    out[name] = {
      wall: r.wall,
      cpu: r.cpu,
      builds: doc.builds,
      perBuild: median(secs),
      seconds: secs,
      firstBad: doc.firstBad ? `${doc.firstBad.sha.slice(0, 12)} ${doc.firstBad.subject}` : `none (exit ${r.code})`,
      ccache: cc && cc.n > 0 ? { hits: cc.hits, misses: cc.misses, uncacheable: cc.uncacheable } : null,
    };
    log(`(${key} ${name} ccache) ${fmtS(r.wall)} s wall, ${fmtS(r.cpu)} s CPU, ${doc.builds} builds (${secs.map((x) => x.toFixed(0)).join(' ')} s); first bad: ${out[name].firstBad}`);
  }
  return out;
}

// The UP modpost failure: absent at the baseline, present from "add page table mapping method" until
// "only use page table mapping when built in" fixes it; BAD is the commit before the fix.
const grepOne = (re) => git(tree, 'log', '--format=%H', '-E', `--grep=${re}`);
if (only.has('e')) {
  const fix = grepOne('^zsmalloc: only use page table mapping when built in$');
  R.e = await bisectPair('e', tree, all[0], git(tree, 'rev-parse', `${fix}^`));
}

/** Header the (f) series changes: included by nearly every C file of the kernel. */
const F_HEADER = 'include/linux/types.h';
if (only.has('f')) {
  // A bench-only copy of the series in its own clone: one extra commit just before the culprit declares a new
  // struct in include/linux/types.h (it changes the preprocessed text of nearly every file, so kbuild and
  // ccache both see new sources). Every later bisect step on either side of it rebuilds nearly everything:
  // without ccache each such step is a cold compile; with ccache, a header state seen once is a hit.
  const culprit = grepOne('^zsmalloc: add page table mapping method$');
  const fix = grepOne('^zsmalloc: only use page table mapping when built in$');
  const src = cloneAt('f-src', `${culprit}^`);
  const id = ['-c', 'user.name=kmatrix-bench', '-c', 'user.email=bench@kmatrix.invalid'];
  const h = join(src, F_HEADER);
  const text = readFileSync(h, 'utf8');
  const anchor = '#endif /*  __ASSEMBLY__ */';
  if (!text.includes(anchor)) throw new Error(`(f) ${F_HEADER} has no "${anchor}" line to insert before`);
  writeFileSync(h, text.replace(anchor, `struct kmatrix_bench_marker;\n\n${anchor}`));
  timed('git', ['-C', src, ...id, 'commit', '-q', '-a', '-m', `bench: declare struct kmatrix_bench_marker in ${F_HEADER}`]);
  timed('git', ['-C', src, ...id, 'cherry-pick', '--allow-empty', `${culprit}^..${git(tree, 'rev-parse', `${fix}^`)}`]);
  const bad = git(src, 'rev-parse', 'HEAD');
  R.f = await bisectPair('f', src, all[0], bad);
  R.f.header = F_HEADER;
}

// ---------------------------------------------------------------- --sched: how builds share the CPUs
// Cells: kmatrix's WARM_BUILDS_PER_CPU per CPU (1.5: 3 on 2 cores), as many as the matrix has. Modes: one build
// at a time at -jN (serial), one build per CPU at -j1 (per-cpu), and when there are more cells than CPUs all of
// them at once at -j1 (oversubscribed: kmatrix's default for warm build dirs). Cold builds (one commit, ccache off) are compared for the first two modes
// only: a third cold pass would add about C × 2 min and the rule for cold dirs does not oversubscribe.
if (opt.sched) {
  const sc = matrix.cells.slice(0, Math.min(Math.floor(NPROC * WARM_BUILDS_PER_CPU), matrix.cells.length));
  const glob = sc.map((c) => c.name).join(',');
  const off = hasNoCcache ? ['--no-ccache'] : [];
  R.sched = { cells: glob, commits: K };
  const perCpu = Math.min(NPROC, sc.length);
  const modes = {
    serial: ['-j', '1', '--make-jobs', String(NPROC)],
    'per-cpu': ['-j', String(perCpu), '--make-jobs', String(Math.ceil(NPROC / perCpu))],
    ...(sc.length > NPROC ? { oversubscribed: ['-j', String(sc.length), '--make-jobs', '1'] } : {}),
  };
  const coldModes = ['serial', 'per-cpu'];
  // Cold for the compared modes first, then incremental for all: the sides of each comparison are measured close in time.
  const d = Object.fromEntries(Object.keys(modes).map((m) => [m, dirsOf(`sched-${m}`)]));
  for (const [mode, flags] of Object.entries(modes)) {
    const cold = coldModes.includes(mode);
    // A mode whose cold time is not compared is warmed with the default split (not timed).
    log(`(sched ${mode}) cold: ${glob} at ${warm.slice(0, 12)} ${cold ? flags.join(' ') : '(warm-up, not timed)'} (ccache off)`);
    const r = kmatrix(`sched-${mode}`, d[mode], ['run', '--tree', tree, '--cells', glob, '--json', ...(cold ? flags : []), ...off, warm]);
    R.sched[mode] = { flags: flags.join(' '), cold: cold ? { wall: r.wall, cpu: r.cpu } : null };
    log(`(sched ${mode}) cold ${fmtS(r.wall)} s wall, ${fmtS(r.cpu)} s CPU`);
  }
  for (const [mode, flags] of Object.entries(modes)) {
    log(`(sched ${mode}) incremental: ${K} commit(s) ${flags.join(' ')}`);
    const inc = kmatrix(`sched-${mode}`, d[mode], ['run', '--tree', tree, '--cells', glob, '--json', ...flags, ...off, ...range]);
    R.sched[mode].inc = { wall: inc.wall, cpu: inc.cpu };
    log(`(sched ${mode}) incremental ${fmtS(inc.wall)} s wall, ${fmtS(inc.cpu)} s CPU`);
  }
  R.sched.coldVerdict = fastest(Object.fromEntries(coldModes.map((m) => [m, R.sched[m].cold?.wall])));
  R.sched.incVerdict = fastest(Object.fromEntries(Object.keys(modes).map((m) => [m, R.sched[m].inc.wall])));
  R.sched.modes = Object.keys(modes);
}

// ---------------------------------------------------------------- report
const end = facts();
const rows = [];
const row = (name, what, r, per) => rows.push([name, what, fmtS(r?.wall), fmtS(r?.cpu), String(r?.builds ?? '–'), fmtS(per ?? r?.perBuild)]);
if (R.a0) row('a₀', `(a)'s warm-up: ${C} cold build(s), empty ccache (container)`, R.a0);
if (R.a) row('a', `kmatrix run, ${K} commits × ${C} cells (container, warm)`, R.a);
if (R.b) row('b', `fresh O= per commit × cell (host make)${R.b.estimated ? `, **estimated** from ${R.b.estimated.built} builds` : ''}`, R.b);
if (R.c) row('c', 'hand loop: checkout + make, warm O= (host)', R.c);
if (R.d) row('d', 'kmatrix run again (reused)', R.d, R.d.wall / Math.max(1, R.d.builds));
if (R.e?.with) row('e+', `bisect ${R.e.span} commits, ccache`, R.e.with);
if (R.e?.without) row('e−', `bisect ${R.e.span} commits, ${hasNoCcache ? '--no-ccache' : 'no --no-ccache switch'}`, R.e.without);
if (R.f?.with) row('f+', `bisect ${R.f.span} commits across a ${R.f.header} change, ccache`, R.f.with);
if (R.f?.without) row('f−', `bisect ${R.f.span} commits across a ${R.f.header} change, ${hasNoCcache ? '--no-ccache' : 'no --no-ccache switch'}`, R.f.without);
const table = mdTable(['', 'loop', 'wall s', 'CPU s', 'builds', 'median s/build'], rows);
const ratios = [
  ['a/b', ratio(R.a?.wall, R.b?.wall)],
  ['a/c', ratio(R.a?.wall, R.c?.wall)],
  ['a/c per build (medians)', ratio(R.a?.perBuild, R.c?.perBuild)],
  ['d/a', ratio(R.d?.wall, R.a?.wall)],
  ...(R.e ? [['e(with)/e(without)', ratio(R.e.with?.wall, R.e.without?.wall)]] : []),
  ...(R.f ? [['f(with)/f(without)', ratio(R.f.with?.wall, R.f.without?.wall)]] : []),
  ...(R.a0 && R.b ? [['(a₀+a)/b', ratio(R.a0.wall + (R.a?.wall ?? NaN), R.b.wall)]] : []),
];
const lines = [];
const flags = [`--commits ${K}`, `--cells ${C}`, ...(opt.only !== 'a,b,c,d,e' ? [`--only ${opt.only}`] : []), ...(opt['b-sample'] ? [`--b-sample ${opt['b-sample']}`] : []), ...(opt.sched ? ['--sched'] : [])];
lines.push(`### \`npm run bench -- ${flags.join(' ')}\` (${start.date.slice(0, 16)} UTC)`);
lines.push('');
lines.push(`Machine: ${start.nproc} × ${start.model}, ${start.ramGiB} GiB RAM, Node ${process.version}.`);
lines.push(`Load (uptime) at start: ${start.load.join(', ')}; at end: ${end.load.join(', ')}.`);
lines.push(`Range: ${K} commit(s) at the replay tree's tip (${range[0].slice(0, 12)}..${range.at(-1).slice(0, 12)}), warm-up at ${warm.slice(0, 12)}; cells ${cellGlob}; make -j${NPROC}.`);
lines.push('');
lines.push(table);
lines.push('');
lines.push(ratios.map(([k, v]) => `${k} = **${fmtR(v)}**`).join(' · '));
if (R.a) {
  lines.push('');
  const st = R.a.stages;
  lines.push(
    `(a) per-stage medians (s): ${Object.entries(st.medians).map(([k, v]) => `${k} ${fmtS(v, 3)}`).join(', ') || 'none reported'}; Kconfig stage skipped in ${st.kconfigSkipped}/${st.builds} builds; ccache ${R.a.ccache ? `${R.a.ccache.hits} hits / ${R.a.ccache.misses} misses / ${R.a.ccache.uncacheable} uncacheable` : 'not reported'}; statuses ${R.a.statuses}; ${R.a.cached} of ${R.a.builds} reused.`,
  );
}
if (R.a0) lines.push(`(a₀) per cell, in build order: ${R.a0.cells.map((c) => `${c.cell} ${fmtS(c.seconds)} s (ccache ${c.hits ?? '–'} hits / ${c.misses ?? '–'} misses)`).join('; ')}.`);
if (R.b?.estimated) {
  const e = R.b.estimated;
  lines.push(`(b) estimated: ${e.built} of ${R.b.builds} cold builds were run (${fmtS(e.measuredWall)} s, ${fmtS(e.min)}–${fmtS(e.max)} s each); the total is each cell's mean × ${K}.`);
}
if (R.d) lines.push(`(d) ${R.d.cached} of ${R.d.builds} results reused.`);
for (const key of ['e', 'f']) {
  for (const n of ['with', 'without']) {
    const e = R[key]?.[n];
    if (!e) continue;
    lines.push(`(${key} ${n} ccache) ${e.builds} builds (${e.seconds.map((x) => x.toFixed(0)).join(', ')} s), first bad ${e.firstBad}; ccache ${e.ccache ? `${e.ccache.hits} hits / ${e.ccache.misses} misses` : 'not reported'}.`);
  }
}
if (R.sched) {
  lines.push('');
  lines.push(`Scheduling (${R.sched.cells}, ccache off${hasNoCcache ? '' : ' not available'}): wall (CPU) seconds`);
  lines.push('');
  lines.push(
    mdTable(
      ['mode', 'flags', `cold (1 commit)`, `incremental (${K} commits)`],
      R.sched.modes.map((m) => [
        m,
        `\`${R.sched[m].flags}\``,
        R.sched[m].cold ? `${fmtS(R.sched[m].cold.wall)} (${fmtS(R.sched[m].cold.cpu)})` : 'not compared',
        `${fmtS(R.sched[m].inc.wall)} (${fmtS(R.sched[m].inc.cpu)})`,
      ]),
    ),
  );
  lines.push('');
  lines.push(`faster: cold ${R.sched.coldVerdict}, incremental ${R.sched.incVerdict}`);
}
const md = lines.join('\n');
process.stdout.write(`\n${md}\n\n`);
process.stdout.write(`machine at start: ${describe(start)}\nmachine at end:   ${describe(end)}\n`);
writeFileSync(join(WORK, 'result.json'), JSON.stringify({ K, C, start, end, R }, null, 2));
writeFileSync(join(WORK, 'result.md'), `${md}\n`);

// ---------------------------------------------------------------- cleanup
for (const cg of cgroupsMade) {
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctl, cg);
    if (!existsSync(dir)) continue;
    for (const sub of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      try {
        rmdirSync(join(dir, sub.name));
      } catch {}
    }
    try {
      rmdirSync(dir);
    } catch {}
  }
}
if (!opt.keep) {
  rmSync(WORK, { recursive: true, force: true });
  spawnSync('git', ['-C', tree, 'worktree', 'prune']);
  log(`removed ${WORK} (--keep keeps it; results were in result.json/result.md there)`);
} else log(`kept ${WORK} (result.json, result.md)`);
