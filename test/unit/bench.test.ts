/** The pure helpers of `npm run bench` (bench/lib.mjs): medians, ratios, stage medians, ccache totals, /proc parsing. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM without type declarations (bench/ is outside the typed sources)
import { ccacheTotals, childCpuFromStat, estimateTotal, fmtR, fmtS, machineFacts, mdTable, median, perCell, ratio, fastest, spread, stageMedians } from '../../bench/lib.mjs';

describe('bench helpers', () => {
  it('median of odd and even counts, ignoring non-numbers; null for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, null, undefined, NaN, 1])).toBe(3);
    expect(median([])).toBeNull();
  });

  it('ratios are null when a side is unknown or zero; formatting shows them as –', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(undefined, 2)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
    expect([fmtR(1.0349), fmtR(null), fmtS(12.345), fmtS(undefined), fmtS(0.1234, 3)]).toEqual(['1.03', '–', '12.3', '–', '0.123']);
  });

  it('per-stage medians over run --json builds skip reused ones (stages null) and count skipped Kconfig stages', () => {
    const builds = [
      { stages: { kconfigSkipped: true, make: 3, classify: 0.1, store: 0.01 } },
      { stages: { kconfig: 2, kconfigSkipped: false, make: 5, classify: 0.3, store: 0.03 } },
      { stages: { kconfigSkipped: true, make: 4, classify: 0.2, store: 0.02 } },
      { stages: null, cached: true },
    ];
    expect(stageMedians(builds)).toEqual({ medians: { kconfig: 2, make: 4, classify: 0.2, store: 0.02 }, kconfigSkipped: 2, builds: 3 });
  });

  it('ccache totals add up the builds that used it; null when none did', () => {
    expect(ccacheTotals([{ ccache: { hits: 2, misses: 1, uncacheable: 0 } }, { ccache: null }, { ccache: { hits: 3, misses: 0, uncacheable: 1 } }])).toEqual({ hits: 5, misses: 1, uncacheable: 1 });
    expect(ccacheTotals([{ ccache: null }, {}])).toBeNull();
  });

  it("children's CPU from /proc/self/stat (a command name with spaces and parentheses)", () => {
    // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const stat = '4242 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 11 12 1234 266 20 0 1 0 100 200 300';
    expect(childCpuFromStat(stat, 100)).toBe(15);
  });

  it('machine facts from /proc texts', () => {
    expect(
      machineFacts({
        cpuinfo: 'processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n',
        meminfo: 'MemTotal:       24576000 kB\nMemFree: 1 kB\n',
        loadavg: '1.06 1.31 1.65 2/300 12345\n',
      }),
    ).toEqual({ model: 'AMD EPYC 7B13', ramGiB: 23.4, load: [1.06, 1.31, 1.65] });
  });

  it('the scheduling verdict is the mode with the shortest wall time', () => {
    expect(fastest({ serial: 100, 'per-cpu': 80 })).toBe('per-cpu');
    expect(fastest({ serial: 80, 'per-cpu': 100 })).toBe('serial');
    expect(fastest({ serial: 80, 'per-cpu': 80 })).toBe('serial');
    expect(fastest({ serial: 66, 'per-cpu': 73, oversubscribed: 54 })).toBe('oversubscribed');
    expect(fastest({ serial: undefined, 'per-cpu': 80 })).toBe('unknown');
    expect(fastest({})).toBe('unknown');
  });

  it('renders a Markdown table', () => {
    expect(mdTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });

  it('spread picks n items evenly, first and last included; all of them when n covers the list; refuses n < 1', () => {
    const ten = [...Array(10).keys()];
    expect(spread(ten, 2)).toEqual([0, 9]);
    expect(spread(ten, 4)).toEqual([0, 3, 6, 9]);
    expect(spread(ten, 1)).toEqual([0]);
    expect(spread(ten, 10)).toEqual(ten);
    expect(spread([1, 2, 3], 7)).toEqual([1, 2, 3]);
    expect(() => spread(ten, 0)).toThrow(/positive integer/);
    expect(() => spread(ten, 1.5)).toThrow(/positive integer/);
  });

  it('estimateTotal scales each cell by its own mean (cells of different cost are not averaged together); exact for a full loop', () => {
    const sampled = [
      { cell: 'UP', seconds: 100 },
      { cell: 'SMP', seconds: 200 },
      { cell: 'UP', seconds: 110 },
      { cell: 'SMP', seconds: 220 },
    ];
    expect(estimateTotal(sampled, 10)).toBeCloseTo(105 * 10 + 210 * 10);
    const full = [1, 2, 3].flatMap((i) => [{ cell: 'UP', seconds: i }, { cell: 'SMP', seconds: 10 * i }]);
    expect(estimateTotal(full, 3)).toBeCloseTo(6 + 60);
    expect(estimateTotal([], 10)).toBe(0);
  });

  it('perCell keeps build order and shows missing ccache counts as null', () => {
    expect(perCell([{ cell: 'v/SMP', seconds: 200, ccache: { hits: 1, misses: 900, uncacheable: 3 } }, { cell: 'v/UP-on-SMP', seconds: 60, ccache: null }])).toEqual([
      { cell: 'v/SMP', seconds: 200, hits: 1, misses: 900 },
      { cell: 'v/UP-on-SMP', seconds: 60, hits: null, misses: null },
    ]);
  });
});
