// Pure helpers of `npm run bench` (bench/bench.mjs): statistics, ratios, formatting, machine facts parsing.
// Kept free of I/O so test/unit/bench.test.ts can check them.

/** Median of numbers (mean of the two middle ones for an even count); null for none. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** a / b, or null when either is unknown or b is 0. */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null;
}

/** Seconds as `12.3` (null → `–`). */
export function fmtS(s, digits = 1) {
  return typeof s === 'number' ? s.toFixed(digits) : '–';
}

/** A ratio as `0.42` (null → `–`). */
export function fmtR(r) {
  return typeof r === 'number' ? r.toFixed(2) : '–';
}

/** Per-stage medians over `run --json` builds: {stage: median seconds} for every numeric stage seen, plus kconfigSkipped counts. */
export function stageMedians(builds) {
  const by = new Map();
  let skipped = 0;
  let counted = 0;
  for (const b of builds) {
    if (!b.stages) continue;
    counted++;
    if (b.stages.kconfigSkipped === true) skipped++;
    for (const [k, v] of Object.entries(b.stages)) {
      if (typeof v !== 'number') continue;
      by.set(k, [...(by.get(k) ?? []), v]);
    }
  }
  const order = ['kconfig', 'make', 'compress', 'classify', 'store'];
  const keys = [...by.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return { medians: Object.fromEntries(keys.map((k) => [k, median(by.get(k))])), kconfigSkipped: skipped, builds: counted };
}

/** Sum of ccache counts over `run --json` builds; null when no build reported ccache. */
export function ccacheTotals(builds) {
  const with_ = builds.filter((b) => b.ccache);
  if (with_.length === 0) return null;
  return with_.reduce((t, b) => ({ hits: t.hits + b.ccache.hits, misses: t.misses + b.ccache.misses, uncacheable: t.uncacheable + b.ccache.uncacheable }), {
    hits: 0,
    misses: 0,
    uncacheable: 0,
  });
}

/** Children's CPU seconds (user + system) from the text of /proc/self/stat (fields cutime, cstime), given clock ticks per second. */
export function childCpuFromStat(stat, ticks = 100) {
  // The command name (field 2) may contain spaces and parentheses: fields after the last ')' are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); cutime and cstime are fields 16 and 17.
  return (Number(rest[13]) + Number(rest[14])) / ticks;
}

/** Machine facts from /proc texts: CPU model, RAM (GiB) and the load averages. */
export function machineFacts({ cpuinfo, meminfo, loadavg }) {
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU';
  const kb = Number(/^MemTotal:\s+(\d+)\s+kB$/m.exec(meminfo)?.[1] ?? NaN);
  const [l1, l5, l15] = loadavg.trim().split(/\s+/).map(Number);
  return { model, ramGiB: Math.round((kb / 1024 / 1024) * 10) / 10, load: [l1, l5, l15] };
}

/** The --sched mode with the shortest wall time (the first of equals; 'unknown' when any is missing). */
export function fastest(wallByMode) {
  const entries = Object.entries(wallByMode);
  if (entries.length === 0 || entries.some(([, w]) => typeof w !== 'number')) return 'unknown';
  return entries.reduce((best, cur) => (cur[1] < best[1] ? cur : best))[0];
}

/** A Markdown table from a header row and rows of cells. */
export function mdTable(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * `n` of `items` spread evenly over the list, first and last included (all of them when n ≥ length).
 * The fresh-build loop (b) picks its commits per cell with it when --b-sample asks for fewer than K.
 */
export function spread(items, n) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`spread: n must be a positive integer, got ${n}`);
  if (n >= items.length) return [...items];
  if (n === 1) return [items[0]];
  const idx = new Set(Array.from({ length: n }, (_, i) => Math.round((i * (items.length - 1)) / (n - 1))));
  return [...idx].sort((a, b) => a - b).map((i) => items[i]);
}

/** Per-cell lines of a kmatrix `run --json`: cell, seconds and ccache hits/misses (null when not reported). */
export function perCell(builds) {
  return builds.map((b) => ({ cell: b.cell, seconds: b.seconds, hits: b.ccache?.hits ?? null, misses: b.ccache?.misses ?? null }));
}

/**
 * The fresh-build loop's total from a sample: per cell, the mean of its measured builds times the K commits
 * of the range, summed over the cells. Exact (the plain sum) when every commit was built.
 */
export function estimateTotal(samples, k) {
  const byCell = new Map();
  for (const s of samples) byCell.set(s.cell, [...(byCell.get(s.cell) ?? []), s.seconds]);
  let total = 0;
  for (const xs of byCell.values()) total += (xs.reduce((a, b) => a + b, 0) / xs.length) * k;
  return total;
}
