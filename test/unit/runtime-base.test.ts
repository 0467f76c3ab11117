import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TOOLCHAINS } from '../../src/matrix/toolchain.js';
import { BaseRuntime, type Place, type VersionAnswer } from '../../src/runtime/base.js';
import type { ExecResult } from '../../src/runtime/runtime.js';

/** A runtime that only says how to run a program: answers from a table, counting the questions. */
class TableRuntime extends BaseRuntime {
  readonly name = 'podman' as const;
  readonly asked: string[] = [];
  constructor(
    private readonly at: Place,
    private readonly answers: Record<string, string>,
  ) {
    super();
  }
  protected place(): Promise<Place> {
    return Promise.resolve(this.at);
  }
  protected askVersion(program: string): Promise<VersionAnswer> {
    this.asked.push(program);
    const out = this.answers[program];
    return Promise.resolve(out === undefined ? { missing: `${program} (not found)` } : { out });
  }
  exec(): Promise<ExecResult> {
    throw new Error('not used');
  }
}

describe('BaseRuntime: identity, ccache version and image facts for any runtime that can run a program', () => {
  const answers = { 'arm-linux-gnueabi-gcc': 'arm-linux-gnueabi-gcc (X) 12\nCopyright', clang: 'clang version 14\n', 'ld.lld': 'LLD 14 (compatible with GNU linkers)', ccache: 'ccache version 4.8\n' };

  it('asks each program once per instance and joins LLVM compiler and linker lines', async () => {
    const rt = new TableRuntime({ image: 'sha256:ab', factsFile: null, error: null }, answers);
    expect(await rt.identity('arm-linux-gnueabi-')).toEqual({ runtime: 'podman', image: 'sha256:ab', compiler: 'arm-linux-gnueabi-gcc (X) 12' });
    expect((await rt.identity('arm-linux-gnueabi-', BUILTIN_TOOLCHAINS['clang'])).compiler).toBe('clang version 14 + LLD 14');
    await rt.identity('arm-linux-gnueabi-');
    expect(await rt.ccacheVersion()).toBe('ccache version 4.8');
    expect(await rt.ccacheVersion()).toBe('ccache version 4.8');
    expect(rt.asked).toEqual(['arm-linux-gnueabi-gcc', 'clang', 'ld.lld', 'ccache']);
  });

  it('a place that cannot run anything: every identity is missing with the reason, no ccache, nothing asked', async () => {
    const rt = new TableRuntime({ image: 'img', factsFile: null, error: 'podman not found on PATH; fix: x' }, answers);
    expect((await rt.identity('arm-linux-gnueabi-')).compiler).toBe('missing: podman not found on PATH; fix: x');
    expect(await rt.ccacheVersion()).toBeNull();
    expect(rt.asked).toEqual([]);
  });

  it('remembers real answers in the facts file, never a missing one', async () => {
    const factsFile = join(mkdtempSync(join(tmpdir(), 'kmx-base-')), 'ab.json');
    const noClang = new TableRuntime({ image: 'sha256:ab', factsFile, error: null }, { 'arm-linux-gnueabi-gcc': answers['arm-linux-gnueabi-gcc'] });
    expect((await noClang.identity('arm-linux-gnueabi-', BUILTIN_TOOLCHAINS['clang'])).compiler).toBe('missing: clang (not found)');
    await noClang.identity('arm-linux-gnueabi-');
    const later = new TableRuntime({ image: 'sha256:ab', factsFile, error: null }, answers);
    expect((await later.identity('arm-linux-gnueabi-')).compiler).toBe('arm-linux-gnueabi-gcc (X) 12');
    expect((await later.identity('arm-linux-gnueabi-', BUILTIN_TOOLCHAINS['clang'])).compiler).toBe('clang version 14 + LLD 14');
    expect(later.asked).toEqual(['clang', 'ld.lld']);
    expect(Object.values(JSON.parse(readFileSync(factsFile, 'utf8')) as Record<string, string>).some((v) => v.startsWith('missing'))).toBe(false);
  });
});
