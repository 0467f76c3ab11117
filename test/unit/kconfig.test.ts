import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { dotConfigValue, parseDotConfig } from '../../src/kconfig/dotconfig.js';
import { explainUnmet } from '../../src/kconfig/explain.js';
import { andExpr, blameExpr, evalTristate, parseExprText, renderExpr, tokenizeLine, triValue } from '../../src/kconfig/expr.js';
import {
  FragmentError,
  fragmentValues,
  mergeFragments,
  parseFragment,
  renderFragment,
} from '../../src/matrix/fragment.js';
import { definitionSites, loadKconfig, symbolDependsOn } from '../../src/kconfig/parser.js';
import type { KconfigDb } from '../../src/kconfig/types.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/kconfig/${p}`, import.meta.url));
const TREE = fixture('tree');
const KERNEL = process.env.KMATRIX_KERNEL_SRC;

describe('parseFragment', () => {
  it('parses assignments, "is not set" and ignores comments and blank lines', () => {
    const text = [
      '# a comment',
      '',
      'CONFIG_A=y',
      'CONFIG_B=m',
      '# CONFIG_C is not set',
      'CONFIG_D="say \\"hi\\" \\\\ there"',
      'CONFIG_E=123',
      'CONFIG_F=0x1f',
      'CONFIG_G=-5  ',
      'CONFIG_H=n',
    ].join('\n');
    expect(parseFragment(text, 'x.frag')).toEqual([
      { symbol: 'A', value: 'y', line: 3, quoted: false, source: 'x.frag' },
      { symbol: 'B', value: 'm', line: 4, quoted: false, source: 'x.frag' },
      { symbol: 'C', value: 'n', line: 5, quoted: false, source: 'x.frag' },
      { symbol: 'D', value: 'say "hi" \\ there', line: 6, quoted: true, source: 'x.frag' },
      { symbol: 'E', value: '123', line: 7, quoted: false, source: 'x.frag' },
      { symbol: 'F', value: '0x1f', line: 8, quoted: false, source: 'x.frag' },
      { symbol: 'G', value: '-5', line: 9, quoted: false, source: 'x.frag' },
      { symbol: 'H', value: 'n', line: 10, quoted: false, source: 'x.frag' },
    ]);
  });

  it.each([
    ['CONFIG_A=y\nFOO=y', 2, 1, /expected CONFIG_/],
    ['CONFIG_A=yes', 1, 10, /invalid value "yes"/],
    ['  CONFIG_A=', 1, 12, /missing value/],
    ['CONFIG_A="abc', 1, 10, /unterminated string/],
    ['CONFIG_A="abc" x', 1, 15, /after string/],
    ['CONFIG_A y', 1, 1, /expected CONFIG_/],
  ])('rejects %j with line and column', (text, line, column, msg) => {
    let err: unknown;
    try {
      parseFragment(text, 'bad.frag');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FragmentError);
    const fe = err as FragmentError;
    expect([fe.line, fe.column]).toEqual([line, column]);
    expect(fe.message).toMatch(msg);
    expect(fe.message.startsWith(`bad.frag:${line}:${column}: `)).toBe(true);
  });

  it('renders back to text that parses to the same assignments', () => {
    const lines = parseFragment('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="a\\"b"\nCONFIG_Y="y"\nCONFIG_H=0x10\n');
    const text = renderFragment(lines);
    expect(text).toBe('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="a\\"b"\nCONFIG_Y="y"\nCONFIG_H=0x10\n');
    expect(parseFragment(text)).toEqual(lines);
  });

  it('merges with later assignments winning, keeping first-seen order', () => {
    const a = parseFragment('CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=m\n', 'a');
    const b = parseFragment('# CONFIG_B is not set\nCONFIG_D=y\nCONFIG_A=m\n', 'b');
    const merged = mergeFragments([a, b]);
    expect(merged.map((l) => `${l.symbol}=${l.value}@${l.source}`)).toEqual(['A=m@b', 'B=n@b', 'C=m@a', 'D=y@b']);
    expect([...fragmentValues(merged)]).toEqual([
      ['A', 'm'],
      ['B', 'n'],
      ['C', 'm'],
      ['D', 'y'],
    ]);
  });
});

describe('parseDotConfig', () => {
  it('reads values, "is not set" and unquotes strings', () => {
    const v = parseDotConfig(
      '#\n# Automatically generated\n#\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_S="x \\"q\\""\nCONFIG_I=42\n',
    );
    expect([...v]).toEqual([
      ['A', 'y'],
      ['B', 'm'],
      ['C', 'n'],
      ['S', 'x "q"'],
      ['I', '42'],
    ]);
    expect(dotConfigValue(v, 'A')).toBe('y');
    expect(dotConfigValue(v, 'CONFIG_B')).toBe('m');
    expect(dotConfigValue(v, 'ABSENT')).toBe('n');
  });
});

describe('expressions', () => {
  const values = new Map(Object.entries({ A: 'y', B: 'm', C: 'n', HZ: '250', H: '0x20', S: 'abc' }));
  const ev = (text: string): number => evalTristate(parseExprText(text), { values });

  it('evaluates tristate logic', () => {
    expect(ev('A && B')).toBe(1);
    expect(ev('A || C')).toBe(2);
    expect(ev('!B')).toBe(1);
    expect(ev('!C && (B || A)')).toBe(2);
    expect(ev('ABSENT')).toBe(0);
    expect(ev('y && m')).toBe(1);
  });

  it('evaluates comparisons numerically when both sides are numbers, else as strings', () => {
    expect(ev('HZ > 100')).toBe(2);
    expect(ev('HZ >= 1000')).toBe(0);
    expect(ev('H = 32')).toBe(2);
    expect(ev('H < 0x10')).toBe(0);
    expect(ev('S = "abc"')).toBe(2);
    expect(ev('S != "abc"')).toBe(0);
    expect(ev('B = m')).toBe(2);
    expect(ev('C != n')).toBe(0);
  });

  it('binds ! tighter than &&, && tighter than ||, and ! over a comparison', () => {
    expect(renderExpr(parseExprText('A || B && !C'))).toBe('A || B && !C');
    expect(renderExpr(parseExprText('(A || B) && !(C || A)'))).toBe('(A || B) && !(C || A)');
    expect(parseExprText('!A = B')).toEqual({
      op: 'not',
      arg: { op: 'cmp', cmp: '=', left: { op: 'sym', name: 'A' }, right: { op: 'sym', name: 'B' } },
    });
  });

  it('annotates symbols like menuconfig, not literals', () => {
    expect(renderExpr(parseExprText('A && (B || C) && HZ > 100 && S != ""'), { values })).toBe(
      'A [=y] && (B [=m] || C [=n]) && HZ [=250] > 100 && S [=abc] != ""',
    );
  });

  it('blames the false parts: && the low operands, || all, ! the ones that are on', () => {
    const e = parseExprText('A && C && (C || B) && !A && HZ < 100');
    const blames = blameExpr(e, { values }, 1);
    expect(blames).toEqual([
      { name: 'C', negated: false },
      { name: 'A', negated: true },
      { name: 'HZ', negated: false },
    ]);
    // Needing y: B (=m) also holds it back.
    expect(blameExpr(parseExprText('A && (C || B)'), { values }, 2).map((b) => b.name)).toEqual(['C', 'B']);
  });

  it('keeps $(macro) calls with spaces and nested parentheses as one word', () => {
    expect(tokenizeLine('def_bool $(cc-option,-fsanitize=thread -mllvm x=1) || (A && $(success,$(CC) -v))')).toEqual([
      { kind: 'word', value: 'def_bool' },
      { kind: 'word', value: '$(cc-option,-fsanitize=thread -mllvm x=1)' },
      { kind: 'op', value: '||' },
      { kind: 'op', value: '(' },
      { kind: 'word', value: 'A' },
      { kind: 'op', value: '&&' },
      { kind: 'word', value: '$(success,$(CC) -v)' },
      { kind: 'op', value: ')' },
    ]);
  });
});

describe('loadKconfig on a synthetic tree', () => {
  const db = loadKconfig(TREE, { srcarch: 'arm', env: {} });
  const sym = (n: string) => {
    const s = db.symbols.get(n);
    if (!s) throw new Error(`no ${n}`);
    return s;
  };
  const dep = (n: string): string => {
    const d = symbolDependsOn(sym(n));
    return d ? renderExpr(d) : '';
  };

  it('follows source/osource/rsource, $(SRCARCH) and globs, warning only on a missing non-optional source', () => {
    expect(db.files).toEqual([
      'Kconfig',
      'scripts/Kconfig.include',
      'arch/arm/Kconfig',
      'drivers/Kconfig',
      'drivers/block/Kconfig',
      'drivers/gpu/Kconfig',
      'drivers/gx/Kconfig',
    ]);
    expect(db.warnings).toEqual(['Kconfig:38: missing Kconfig file missing/Kconfig']);
    expect(db.modulesSymbol).toBe('MODULES');
  });

  it('records types, locations and skips help text', () => {
    expect(sym('ZRAM').type).toBe('tristate');
    expect(sym('HZ').type).toBe('int');
    expect(sym('CMDLINE').type).toBe('string');
    expect(sym('ARM').type).toBe('bool');
    expect(definitionSites(sym('ZRAM'))).toEqual(['drivers/block/Kconfig:8']);
    expect(definitionSites(sym('DRM'))).toEqual(['drivers/gpu/Kconfig:1', 'drivers/gx/Kconfig:2']);
    expect(db.symbols.has('FAKE_FROM_HELP')).toBe(false);
    expect(db.symbols.has('NOTHING')).toBe(false);
    expect(sym('CC_HAS_FOO').definitions[0]!.defaults[0]!.value).toEqual({
      op: 'sym',
      name: '$(cc-option,-mfoo -mbar=1)',
    });
  });

  it('ANDs enclosing menu and if dependencies (outer first) into the direct dependency', () => {
    expect(dep('ZRAM')).toBe('MMU && BLK_DEV && SWAP && (CRYPTO_A || CRYPTO_B)');
    expect(dep('BLK_DEV')).toBe('MMU && BLOCK');
    expect(dep('SWAP')).toBe('MMU');
    expect(dep('EXPERT_THING')).toBe('');
  });

  it('ORs the dependencies of multiple definitions', () => {
    expect(dep('DRM')).toBe('MMU || MMU && ARCH_BAR');
  });

  it('records select/imply as reverse dependencies including the selector and its deps', () => {
    expect(sym('SMP').selectedBy.map((r) => [r.by, renderExpr(r.expr), r.at])).toEqual([
      ['ARM', 'ARM && ARCH_FOO', 'arch/arm/Kconfig:4'],
    ]);
    expect(sym('ZSMALLOC').selectedBy.map((r) => renderExpr(r.expr))).toEqual([
      'ZRAM && MMU && BLK_DEV && SWAP && (CRYPTO_A || CRYPTO_B)',
    ]);
    expect(sym('ZSWAP').impliedBy.map((r) => r.by)).toEqual(['ARM']);
  });

  it('handles choices, prompts with if and menu visible if', () => {
    const c = db.choices[0]!;
    expect(c.prompt).toBe('Preemption model');
    expect(c.members).toEqual(['PREEMPT_NONE', 'PREEMPT']);
    expect(renderExpr(c.dependsOn!)).toBe('!ARCH_BAR');
    expect(dep('PREEMPT')).toBe('!ARCH_BAR && SMP');
    expect(sym('PREEMPT').definitions[0]!.choice).toBe(0);
    expect(renderExpr(sym('ZSMALLOC').definitions[0]!.prompt!.visible!)).toBe('ZSWAP');
    expect(renderExpr(sym('EXPERT_THING').definitions[0]!.prompt!.visible!)).toBe('EXPERT');
    expect(sym('HAVE_SMP').definitions[0]!.prompt).toBeNull();
  });
});

/** Base values of the synthetic tree: an ARM box with MMU, swap and block on. */
function treeValues(over: Record<string, string>): Map<string, string> {
  return new Map(Object.entries({ ARM: 'y', MMU: 'y', HAVE_SMP: 'y', SWAP: 'y', BLOCK: 'y', BLK_DEV: 'y', MODULES: 'y', HZ: '250', ...over }));
}
const explain = (db: KconfigDb, values: Record<string, string>, requested: Record<string, string>) =>
  explainUnmet(db, treeValues(values), new Map(Object.entries(requested)));

describe('explainUnmet on a synthetic tree', () => {
  const db = loadKconfig(TREE, { srcarch: 'arm', env: {} });

  it('reports nothing when every request stuck', () => {
    expect(explain(db, { ZRAM: 'm', CRYPTO_A: 'y' }, { ZRAM: 'm', CRYPTO_A: 'y', ARCH_BAR: 'n' })).toEqual([]);
  });

  it('explains an unmet dependency with annotated deps, and follows dropped requests to the root cause', () => {
    const [zram, blk] = explain(db, { BLOCK: 'n', BLK_DEV: 'n', CRYPTO_A: 'y' }, { ZRAM: 'm', BLK_DEV: 'y' });
    expect(zram).toEqual({
      symbol: 'ZRAM',
      requested: 'm',
      actual: 'n',
      reason: 'depends',
      dependsOn: 'MMU [=y] && BLK_DEV [=n] && SWAP [=y] && (CRYPTO_A [=y] || CRYPTO_B [=n])',
      unmet: ['BLK_DEV'],
      rootCause: ['BLOCK'],
      selectedBy: [],
      definedAt: ['drivers/block/Kconfig:8'],
      message:
        'CONFIG_ZRAM=m requested but is not set: depends on MMU [=y] && BLK_DEV [=n] && SWAP [=y] && ' +
        '(CRYPTO_A [=y] || CRYPTO_B [=n]); unmet: BLK_DEV; root cause: BLOCK',
    });
    expect(blk!.unmet).toEqual(['BLOCK']);
    expect(blk!.rootCause).toEqual(['BLOCK']);
  });

  it('lists every operand of a false ||', () => {
    const [u] = explain(db, {}, { ZRAM: 'y' });
    expect(u!.unmet).toEqual(['CRYPTO_A', 'CRYPTO_B']);
  });

  it('says when deps limit a symbol to m', () => {
    const [u] = explain(db, { CRYPTO_A: 'm', ZRAM: 'm' }, { ZRAM: 'y' });
    expect(u!.reason).toBe('depends');
    expect(u!.unmet).toEqual(['CRYPTO_A', 'CRYPTO_B']);
    expect(u!.message).toContain('(=m, so at most m)');
  });

  it('explains negated and comparison dependencies', () => {
    const [u] = explain(db, { ARCH_BAR: 'y', HZ: '100' }, { NOT_BAR: 'y' });
    expect(u!.unmet).toEqual(['ARCH_BAR', 'HZ']);
    expect(u!.dependsOn).toBe('!ARCH_BAR [=y] && HZ [=100] > 100');
    expect(u!.message).toContain('unmet: ARCH_BAR (is on, needs off), HZ');
  });

  it('explains a symbol forced on by an active select', () => {
    const [u] = explain(db, { ARCH_FOO: 'y', SMP: 'y' }, { SMP: 'n' });
    expect(u).toMatchObject({
      reason: 'selected',
      selectedBy: ['ARM [=y] && ARCH_FOO [=y]'],
      rootCause: ['ARM'],
      message: 'CONFIG_SMP=n requested but =y: selected by ARM [=y] && ARCH_FOO [=y]',
    });
  });

  it('explains m requested but y because a y selector selects it', () => {
    const [u] = explain(db, { ZRAM: 'y', CRYPTO_A: 'y', ZSMALLOC: 'y' }, { ZSMALLOC: 'm' });
    expect(u!.reason).toBe('selected');
    expect(u!.selectedBy[0]).toMatch(/^ZRAM \[=y\] && MMU \[=y\]/);
  });

  it('explains undefined symbols, symbols without a prompt, and hidden prompts', () => {
    const out = explain(db, {}, { ZRMA: 'm', GENERIC_THING: 'y', ZSMALLOC: 'm', ZRAM: 'm' });
    const by = new Map(out.map((u) => [u.symbol, u]));
    expect(by.get('ZRMA')).toMatchObject({
      reason: 'undefined',
      definedAt: [],
      message: 'CONFIG_ZRMA=m requested but is not set: ZRMA is not defined in this Kconfig tree (typo or removed symbol?)',
    });
    expect(by.get('GENERIC_THING')).toMatchObject({ reason: 'no-prompt', unmet: [], rootCause: [] });
    expect(by.get('GENERIC_THING')!.message).toContain('has no prompt');
    // ZSMALLOC's prompt needs ZSWAP, and ZRAM (which selects it) was dropped for want of crypto.
    expect(by.get('ZSMALLOC')).toMatchObject({ reason: 'no-prompt', unmet: ['ZSWAP'] });
    expect(by.get('ZSMALLOC')!.rootCause).toEqual(['ZSWAP', 'CRYPTO_A', 'CRYPTO_B']);
    expect(by.get('ZSMALLOC')!.message).toContain('selected by ZRAM (requested, not set)');
  });

  it('hides the members of a choice whose prompt is hidden', () => {
    const [u] = explain(db, { CMDLINE: '' }, { CMDLINE_FORCE: 'y' });
    expect(u).toMatchObject({ reason: 'no-prompt', unmet: ['CMDLINE'], rootCause: ['CMDLINE'] });
    expect(u!.message).toBe(
      'CONFIG_CMDLINE_FORCE=y requested but is not set: prompt is hidden (if CMDLINE [=] != ""), so a fragment cannot set it; unmet: CMDLINE',
    );
  });

  it('explains choice, modules, type and value mismatches', () => {
    const choice = explain(db, { SMP: 'y', PREEMPT_NONE: 'y' }, { PREEMPT: 'y' })[0]!;
    expect(choice).toMatchObject({ reason: 'choice', unmet: ['PREEMPT_NONE'] });
    expect(choice.message).toBe(
      'CONFIG_PREEMPT=y requested but is not set: choice "Preemption model" has PREEMPT_NONE [=y] instead',
    );
    const mods = explain(db, { MODULES: 'n', DRM: 'y' }, { DRM: 'm' })[0]!;
    expect(mods).toMatchObject({ reason: 'modules', actual: 'y', unmet: ['MODULES'] });
    expect(explain(db, { SMP: 'y' }, { SMP: 'm' })[0]!.reason).toBe('type');
    const str = explain(db, { CMDLINE: 'console=ttyS0' }, { CMDLINE: 'quiet' })[0]!;
    expect(str.reason).toBe('value');
    expect(str.message).toBe('CONFIG_CMDLINE="quiet" requested but ="console=ttyS0": the requested value did not stick');
    const hz = explain(db, { HZ: '1000' }, { HZ: '5000' })[0]!;
    expect(hz.message).toBe('CONFIG_HZ=5000 requested but =1000: the requested value did not stick (range 100 1000)');
  });
});

describe.skipIf(!KERNEL)('real Linux 6.1 tree (KMATRIX_KERNEL_SRC)', () => {
  let db: KconfigDb;
  let ms = 0;
  beforeAll(() => {
    const t0 = performance.now();
    db = loadKconfig(KERNEL!, { srcarch: 'arm', env: {} });
    ms = performance.now() - t0;
  });

  it('parses the whole ARM tree without warnings', () => {
    expect(db.files.length).toBeGreaterThan(1000);
    expect(db.files).toContain('arch/arm/Kconfig');
    expect(db.symbols.size).toBeGreaterThan(10000);
    expect(db.warnings).toEqual([]);
    expect(db.modulesSymbol).toBe('MODULES');
    console.log(`parsed ${db.files.length} Kconfig files, ${db.symbols.size} symbols in ${ms.toFixed(0)} ms`);
  });

  it('gives ZRAM the BLK_DEV dependency from its if-block plus its own', () => {
    const zram = db.symbols.get('ZRAM')!;
    expect(definitionSites(zram)).toEqual(['drivers/block/zram/Kconfig:2']);
    expect(renderExpr(symbolDependsOn(zram)!)).toBe(
      'BLK_DEV && BLOCK && SYSFS && MMU && (CRYPTO_LZO || CRYPTO_ZSTD || CRYPTO_LZ4 || CRYPTO_LZ4HC || CRYPTO_842)',
    );
    expect(db.symbols.get('ARM_PSCI')!.selectedBy.map((r) => r.by)).toContain('ARCH_VIRT');
  });

  it('agrees with real conf output: visible prompts are written, set symbols have deps met or a selector', () => {
    const values = parseDotConfig(readFileSync(fixture('arm61/allnoconfig-zram.config'), 'utf8'));
    const ctx = { values, typeOf: (n: string) => db.symbols.get(n)?.type };
    const hiddenButWritten: string[] = [];
    const visibleButAbsent: string[] = [];
    for (const s of db.symbols.values()) {
      if (s.type === 'unknown') continue;
      const visible = s.definitions.some((d) => d.prompt && evalTristate(andExpr(d.dependsOn, d.prompt.visible), ctx) > 0);
      if (visible && !values.has(s.name)) visibleButAbsent.push(s.name);
      const on = (s.type === 'bool' || s.type === 'tristate') && triValue(values.get(s.name) ?? 'n') > 0;
      const deps = evalTristate(symbolDependsOn(s), ctx);
      const sel = Math.max(0, ...s.selectedBy.map((r) => evalTristate(r.expr, ctx)));
      // $(ld-option,...) and friends cannot be evaluated here; those symbols are excused.
      if (on && deps === 0 && sel === 0 && !renderExpr(symbolDependsOn(s)!).includes('$(')) hiddenButWritten.push(s.name);
    }
    expect(visibleButAbsent).toEqual([]);
    expect(hiddenButWritten).toEqual([]);
  });

  it('explains the allnoconfig run of test/fixtures/kconfig/arm61 (real conf output)', () => {
    const values = parseDotConfig(readFileSync(fixture('arm61/allnoconfig-zram.config'), 'utf8'));
    const frag = parseFragment(readFileSync(fixture('arm61/zram.frag'), 'utf8'), 'zram.frag');
    const out = explainUnmet(db, values, fragmentValues(frag));
    expect(out.map((u) => [u.symbol, u.reason])).toEqual([
      ['ZRAM', 'depends'],
      ['ZSMALLOC', 'no-prompt'],
      ['ARM_PSCI', 'selected'],
      ['ZRAM_TYPO_SYMBOL', 'undefined'],
    ]);
    const [zram, zsmalloc, psci] = out;
    expect(zram!.unmet).toEqual(['BLK_DEV']);
    expect(zram!.dependsOn).toMatch(/^BLK_DEV \[=n\] && BLOCK \[=y\] && SYSFS \[=y\] && MMU \[=y\] && \(CRYPTO_LZO \[=y\]/);
    expect(zram!.message).toMatch(/^CONFIG_ZRAM=m requested but is not set: depends on BLK_DEV \[=n\] && .*; unmet: BLK_DEV$/);
    expect(zsmalloc!.unmet).toEqual(['ZSWAP']);
    expect(zsmalloc!.rootCause).toEqual(['ZSWAP', 'BLK_DEV']);
    expect(psci!.selectedBy).toContain('ARCH_VIRT [=y] && ARCH_MULTI_V7 [=y]');
    expect(psci!.message).toMatch(/^CONFIG_ARM_PSCI=n requested but =y: selected by ARCH_VIRT \[=y\] && ARCH_MULTI_V7 \[=y\]$/);
  });
});
