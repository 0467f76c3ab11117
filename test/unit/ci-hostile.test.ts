import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ciCommand, type CiFlags } from '../../src/cli/ci.js';
import { InputError } from '../../src/errors.js';

/** A pinned install source, so that the flag under test is what gets refused. */
const PINNED_IMAGE = `registry.example.invalid/kmatrix@sha256:${'c'.repeat(64)}`;
const flags = (o: Partial<CiFlags> = {}): CiFlags => ({ shards: 2, runner: 'hosted', image: 'node:20-bookworm', ref: 'master', output: '-', kmatrixImage: PINNED_IMAGE, ...o });

describe('a C1 line break (NEL, U+0085) in a kmatrix ci value', () => {
  // YAML 1.1 (PyYAML, go-yaml as kubectl uses it) ends a line at NEL: in the header comment it starts a key of its own.
  it.each(['github', 'gitlab', 'kubernetes'] as const)('is refused with exit 2 naming the flag (%s), also under --check', (engine) => {
    const more = engine === 'kubernetes' ? { repo: 'https://example.invalid/linux.git' } : {};
    for (const flag of ['kmatrix', 'image', 'ref', 'repo'] as const) {
      const evil = `v1\u0085permissions: write-all`;
      expect(() => ciCommand(engine, flags({ ...more, [flag]: evil }))).toThrow(InputError);
      expect(() => ciCommand(engine, flags({ ...more, [flag]: evil, check: true, output: 'k.yml' }))).toThrow(new RegExp(`--${flag}: contains a control character \\(U\\+0085`));
    }
  });
});

describe('a NEL in the pinned image (JavaScript\'s \\s does not match U+0085, so the digest check lets it through)', () => {
  it.each(['github', 'gitlab', 'kubernetes'] as const)('is refused with exit 2 naming --kmatrix-image (%s)', (engine) => {
    const more = engine === 'kubernetes' ? { repo: 'https://example.invalid/linux.git' } : {};
    const evil = `registry.example.invalid/k\u0085evil: 1@sha256:${'c'.repeat(64)}`;
    expect(() => ciCommand(engine, flags({ ...more, kmatrixImage: evil }))).toThrow(/--kmatrix-image: contains a control character \(U\+0085/);
  });
});

describe('an -o the file system refuses although access() allows it (root on sysfs)', () => {
  it.runIf(process.getuid?.() === 0 && existsSync('/sys/kernel'))('is exit 2 naming -o, not a raw errno (exit 3)', () => {
    expect(() => ciCommand('github', flags({ output: '/sys/kernel/kmatrix.yml' }))).toThrow(InputError);
    expect(() => ciCommand('github', flags({ output: '/sys/kernel/kmatrix.yml' }))).toThrow(/^-o: \/sys\/kernel\/kmatrix\.yml: cannot be written \(EACCES\)/);
  });
});
