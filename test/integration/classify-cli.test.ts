import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from '../helpers/replay.js';

const FIXTURES = join(ROOT, 'test/fixtures/logs');

/** Run `kmatrix classify …` with optional standard input. */
function classify(args: string[], input?: Buffer | string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'classify', ...args], { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The classify command through its real command line: stdin, .gz, .xz, the three formats, bad input. */
describe('kmatrix classify (command line)', () => {
  const name = 'modpost-undefined-up.log';
  const log = readFileSync(join(FIXTURES, name));
  const json = (s: string) => JSON.parse(s) as { status: string; diagnostics: { kind: string; symbol: string | null }[] };

  it('reads `-` (standard input), a .gz and a .xz log with the same result as the plain file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.log.gz'), gzipSync(log));
    writeFileSync(join(dir, 'b.log.xz'), execFileSync('xz', ['-c'], { input: log }));
    const plain = classify(['--json', join(FIXTURES, name)]);
    expect(plain.code).toBe(1);
    expect(json(plain.stdout).diagnostics.map((d) => [d.kind, d.symbol])).toEqual([['modpost-undefined', 'v7wbi_flush_kern_tlb_range']]);
    for (const r of [classify(['--json', '-'], log), classify(['--json', join(dir, 'b.log.gz')]), classify(['--json', join(dir, 'b.log.xz')]), classify(['--format', 'json', '-'], gzipSync(log))]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(plain.stdout);
    }
  });

  it('--format github prints workflow annotations; the exit code is the status', () => {
    const r = classify(['--format', 'github', join(FIXTURES, name)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      '::error title=kmatrix modpost-undefined v7wbi_flush_kern_tlb_range::"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!\n',
    );
    const clean = classify(['--format', 'github', join(FIXTURES, 'clean-baseline-up.log')]);
    expect([clean.code, clean.stdout]).toEqual([0, '']);
  });

  it('a log that cannot be read, an unknown format and conflicting flags are exit 2, naming the culprit', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.xz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]));
    writeFileSync(join(dir, 'bad.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    for (const f of ['bad.xz', 'bad.gz']) {
      const r = classify([join(dir, f)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${join(dir, f)}: cannot read the log`);
      expect(r.stdout).toBe('');
    }
    expect(classify(['/no/such.log']).stderr).toContain('/no/such.log: no such log file');
    const fmt = classify(['--format', 'xml', join(FIXTURES, name)]);
    expect([fmt.code, fmt.stderr]).toEqual([2, "kmatrix: --format: unknown format 'xml' (text, json, github)\n"]);
    expect(classify(['--json', '--format', 'github', join(FIXTURES, name)]).code).toBe(2);
  });
});
