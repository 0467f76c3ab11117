import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAllConfigTarget, srcArch, SUPPORT_DIR } from '../../src/matrix/support.js';

describe('support data (support/)', () => {
  it('maps ARCH to SRCARCH from the per-architecture files', () => {
    expect(srcArch('x86_64')).toBe('x86');
    expect(srcArch('i386')).toBe('x86');
    expect(srcArch('arm')).toBe('arm');
  });

  it('an architecture without a file builds from arch/<ARCH>', () => {
    expect(srcArch('riscv')).toBe('riscv');
  });

  it('every shipped architecture file is valid', () => {
    for (const f of readdirSync(join(SUPPORT_DIR, 'arch'))) expect(srcArch(f.replace(/\.yaml$/, ''))).toMatch(/^[a-z0-9_]+$/);
  });

  it('knows the all*config targets from support/kconfig.yaml', () => {
    expect(isAllConfigTarget('allnoconfig')).toBe(true);
    expect(isAllConfigTarget('tinyconfig')).toBe(true);
    expect(isAllConfigTarget('multi_v7_defconfig')).toBe(false);
  });

  it('adding an architecture is a data change; a broken file names itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-support-'));
    mkdirSync(join(dir, 'arch'));
    writeFileSync(join(dir, 'arch', 'um.yaml'), 'srcarch: um_host\n');
    expect(srcArch('um', dir)).toBe('um_host');
    writeFileSync(join(dir, 'arch', 'bad.yaml'), 'srcarch: [x]\n');
    expect(() => srcArch('bad', dir)).toThrow(/bad\.yaml: srcarch/);
  });
});
