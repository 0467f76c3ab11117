/** Kconfig-language parser over a kernel source tree: symbols, definitions with locations, direct and reverse deps. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { andExpr, KconfigSyntaxError, orExpr, parseExpr, tokenizeLine, type Token } from './expr.js';
import type {
  Expr,
  KconfigChoice,
  KconfigDb,
  KconfigDefinition,
  KconfigSymbol,
  KconfigType,
} from './types.js';

/** Options of `loadKconfig`. */
export interface LoadKconfigOptions {
  /** Value of `$(SRCARCH)` (e.g. 'arm'). */
  srcarch: string;
  /** Other `$(VAR)` macro values; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Top-level Kconfig file relative to srcDir; default 'Kconfig'. */
  root?: string;
}

/** Where Kconfig text comes from (fs in `loadKconfig`; injectable for tests). */
export interface KconfigSource {
  /** File text, or null when the file does not exist. */
  read(absPath: string): string | null;
  /** Absolute paths matching a glob (`*`, `?`, `[...]` within path segments), sorted. */
  glob(absPattern: string): string[];
}

const TYPE_WORDS: Record<string, KconfigType> = {
  bool: 'bool',
  boolean: 'bool',
  tristate: 'tristate',
  int: 'int',
  hex: 'hex',
  string: 'string',
};

/** An enclosing if/menu/choice block and what it contributes to the entries inside. */
interface Frame {
  kind: 'if' | 'menu' | 'choice';
  deps: Expr[];
  visible: Expr[];
  choice: number | null;
}

/** The config/choice/menu/comment entry whose attribute lines are being read. */
interface OpenEntry {
  kind: 'config' | 'choice' | 'menu' | 'comment';
  symbol: string | null;
  type: KconfigType | null;
  frames: Frame[];
  /** For menu/choice: the frame this entry opened (its `depends on` / `visible if` go there). */
  ownFrame: Frame | null;
  file: string;
  line: number;
  deps: Expr[];
  prompt: { text: string; cond: Expr | null } | null;
  defaults: { value: Expr; cond: Expr | null }[];
  selects: { symbol: string; cond: Expr | null; line: number }[];
  implies: { symbol: string; cond: Expr | null; line: number }[];
  ranges: { min: Expr; max: Expr; cond: Expr | null }[];
}

/** Indentation width with tabs to the next multiple of 8, like the kernel lexer's help-text rule. */
function indentWidth(line: string): number {
  let w = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) w++;
    else if (c === 9) w = (w & ~7) + 8;
    else break;
  }
  return w;
}

/** True for a line of only whitespace. */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

const ASSIGNMENT = /^\s*([A-Za-z0-9_-]+)\s*(:=|\+=|=)\s?(.*)$/;
const KEYWORDS = new Set([
  'config', 'menuconfig', 'choice', 'endchoice', 'menu', 'endmenu', 'if', 'endif', 'comment', 'mainmenu',
  'source', 'osource', 'rsource', 'orsource', 'help', '---help---', 'depends', 'select', 'imply', 'default',
  'def_bool', 'def_tristate', 'prompt', 'range', 'option', 'modules', 'optional', 'visible', 'transitional',
  ...Object.keys(TYPE_WORDS),
]);

/** Matcher for one glob path segment. */
function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Filesystem-backed KconfigSource. */
export function fsKconfigSource(): KconfigSource {
  return {
    read: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : null),
    glob: (pattern) => {
      const segs = pattern.split('/');
      let bases = [segs[0] === '' ? '/' : segs[0]!];
      for (const seg of segs.slice(1)) {
        if (seg === '') continue;
        if (!/[*?[]/.test(seg)) {
          bases = bases.map((b) => join(b, seg));
          continue;
        }
        const re = segmentRegex(seg);
        bases = bases.flatMap((b) => {
          try {
            return readdirSync(b)
              .filter((n) => re.test(n))
              .sort()
              .map((n) => join(b, n));
          } catch {
            return [];
          }
        });
      }
      return bases.filter((b) => existsSync(b)).sort();
    },
  };
}

/** Parse the Kconfig tree of `srcDir` for one SRCARCH (reads files); tolerant: unknown attributes are ignored. */
export function loadKconfig(srcDir: string, opts: LoadKconfigOptions): KconfigDb {
  return parseKconfigTree(srcDir, opts, fsKconfigSource());
}

/** Parse a Kconfig tree through an injected source (pure apart from what `source` does). */
export function parseKconfigTree(srcDir: string, opts: LoadKconfigOptions, io: KconfigSource): KconfigDb {
  const db: KconfigDb = {
    srcDir,
    srcarch: opts.srcarch,
    symbols: new Map(),
    choices: [],
    files: [],
    modulesSymbol: null,
    warnings: [],
  };
  const env = opts.env ?? process.env;
  const vars = new Map<string, string>();
  const frames: Frame[] = [];
  let entry: OpenEntry | null = null;

  const symbol = (name: string): KconfigSymbol => {
    let s = db.symbols.get(name);
    if (!s) {
      s = { name, type: 'unknown', definitions: [], selectedBy: [], impliedBy: [] };
      db.symbols.set(name, s);
    }
    return s;
  };

  /** Expand `$(VAR)` macros in a source path (Kconfig variables, SRCARCH, env); unknown ones stay as written. */
  const expand = (text: string, depth = 0): string =>
    depth > 10
      ? text
      : text.replace(/\$\(([A-Za-z0-9_-]+)\)/g, (whole, name: string) => {
          if (name === 'SRCARCH') return opts.srcarch;
          const v = vars.get(name) ?? env[name];
          return v === undefined ? whole : expand(v, depth + 1);
        });

  const closeEntry = (): void => {
    const e = entry;
    entry = null;
    if (!e) return;
    if (e.kind === 'menu' || e.kind === 'comment') return;
    if (e.kind === 'choice') {
      const choice = db.choices[e.ownFrame!.choice!]!;
      choice.prompt = e.prompt?.text ?? null;
      choice.dependsOn = andExpr(...e.frames.flatMap((f) => f.deps), ...e.deps);
      e.ownFrame!.deps.push(...e.deps);
      // A choice whose prompt is hidden hides its members' prompts too.
      if (e.prompt?.cond) e.ownFrame!.visible.push(e.prompt.cond);
      return;
    }
    const dependsOn = andExpr(...e.frames.flatMap((f) => f.deps), ...e.deps);
    const visible = e.frames.flatMap((f) => f.visible);
    const at = e.file;
    const choiceFrame = [...e.frames].reverse().find((f) => f.kind === 'choice');
    const def: KconfigDefinition = {
      file: e.file,
      line: e.line,
      dependsOn,
      prompt: e.prompt ? { text: e.prompt.text, visible: andExpr(e.prompt.cond, ...visible) } : null,
      defaults: e.defaults,
      selects: e.selects.map(({ symbol: s, cond }) => ({ symbol: s, cond })),
      implies: e.implies.map(({ symbol: s, cond }) => ({ symbol: s, cond })),
      ranges: e.ranges,
      choice: choiceFrame?.choice ?? null,
    };
    const sym = symbol(e.symbol!);
    if (e.type && (sym.type === 'unknown' || sym.type === e.type)) sym.type = e.type;
    sym.definitions.push(def);
    if (def.choice !== null) db.choices[def.choice]!.members.push(sym.name);
    const self: Expr = { op: 'sym', name: sym.name };
    for (const s of e.selects) {
      symbol(s.symbol).selectedBy.push({ by: sym.name, expr: andExpr(self, dependsOn, s.cond)!, at: `${at}:${s.line}` });
    }
    for (const s of e.implies) {
      symbol(s.symbol).impliedBy.push({ by: sym.name, expr: andExpr(self, dependsOn, s.cond)!, at: `${at}:${s.line}` });
    }
  };

  const openEntry = (kind: OpenEntry['kind'], file: string, line: number, sym: string | null): OpenEntry => {
    closeEntry();
    entry = {
      kind,
      symbol: sym,
      type: null,
      frames: [...frames],
      ownFrame: null,
      file,
      line,
      deps: [],
      prompt: null,
      defaults: [],
      selects: [],
      implies: [],
      ranges: [],
    };
    return entry;
  };

  /** Parse `<expr> [if <expr>]` style tails. */
  const exprWithIf = (tokens: Token[], from: number): { expr: Expr; cond: Expr | null } => {
    const { expr, next } = parseExpr(tokens, from);
    return { expr, cond: condAt(tokens, next) };
  };
  const condAt = (tokens: Token[], at: number): Expr | null => {
    const t = tokens[at];
    if (t?.kind === 'word' && t.value === 'if') return parseExpr(tokens, at + 1).expr;
    return null;
  };
  /** `"prompt" [if E]` starting at `from`, if there is a quoted prompt there. */
  const promptAt = (tokens: Token[], from: number): { text: string; cond: Expr | null } | null => {
    const t = tokens[from];
    return t?.kind === 'str' ? { text: t.value, cond: condAt(tokens, from + 1) } : null;
  };

  const popFrame = (kind: Frame['kind'], where: string): void => {
    closeEntry();
    const top = frames[frames.length - 1];
    if (top?.kind === kind) frames.pop();
    else db.warnings.push(`${where}: end${kind} without matching ${kind}`);
  };

  const sourceFile = (spec: string, from: string, relativeToFile: boolean, optional: boolean, where: string): void => {
    const path = expand(spec);
    const base = relativeToFile ? dirname(from) : srcDir;
    const abs = path.startsWith('/') ? path : join(base, path);
    const matches = /[*?[]/.test(path) ? io.glob(abs) : [abs];
    if (matches.length === 0 && !optional) db.warnings.push(`${where}: no Kconfig file matches '${path}'`);
    for (const m of matches) parseFile(m, optional, where);
  };

  const handleLine = (tokens: Token[], absFile: string, file: string, line: number): boolean => {
    const kw = tokens[0]!;
    const where = `${file}:${line}`;
    const word = kw.kind === 'word' ? kw.value : '';
    const e = entry as OpenEntry | null;
    switch (word) {
      case 'config':
      case 'menuconfig': {
        const name = tokens[1]?.value;
        if (!name) throw new KconfigSyntaxError('config without a symbol name');
        openEntry('config', file, line, name);
        return false;
      }
      case 'choice': {
        const c: KconfigChoice = { prompt: null, file, line, dependsOn: null, members: [] };
        db.choices.push(c);
        const ent = openEntry('choice', file, line, tokens[1]?.value ?? null);
        const frame: Frame = { kind: 'choice', deps: [], visible: [], choice: db.choices.length - 1 };
        ent.ownFrame = frame;
        frames.push(frame);
        return false;
      }
      case 'endchoice':
        popFrame('choice', where);
        return false;
      case 'menu': {
        const ent = openEntry('menu', file, line, null);
        const frame: Frame = { kind: 'menu', deps: [], visible: [], choice: null };
        ent.ownFrame = frame;
        frames.push(frame);
        return false;
      }
      case 'endmenu':
        popFrame('menu', where);
        return false;
      case 'if': {
        closeEntry();
        frames.push({ kind: 'if', deps: [parseExpr(tokens, 1).expr], visible: [], choice: null });
        return false;
      }
      case 'endif':
        popFrame('if', where);
        return false;
      case 'comment':
        openEntry('comment', file, line, null);
        return false;
      case 'mainmenu':
        closeEntry();
        return false;
      case 'source':
      case 'osource':
      case 'rsource':
      case 'orsource': {
        closeEntry();
        const spec = tokens[1];
        if (spec) sourceFile(spec.value, absFile, word.startsWith('r') || word.startsWith('or'), word.startsWith('o'), where);
        return false;
      }
      case 'help':
      case '---help---':
        return true;
    }
    if (!e) return false; // attribute outside any entry: ignore
    switch (word) {
      case 'depends': {
        const from = tokens[1]?.value === 'on' ? 2 : 1;
        const dep = parseExpr(tokens, from).expr;
        // A menu's dependency applies to its children; a choice's is pushed to its frame when the entry closes.
        if (e.kind === 'menu') e.ownFrame!.deps.push(dep);
        else e.deps.push(dep);
        return false;
      }
      case 'visible':
        if (e.ownFrame && e.kind === 'menu') {
          const cond = condAt(tokens, 1);
          if (cond) e.ownFrame.visible.push(cond);
        }
        return false;
      case 'select':
      case 'imply': {
        const target = tokens[1];
        if (target?.kind === 'word') {
          (word === 'select' ? e.selects : e.implies).push({ symbol: target.value, cond: condAt(tokens, 2), line });
        }
        return false;
      }
      case 'default': {
        const d = exprWithIf(tokens, 1);
        e.defaults.push({ value: d.expr, cond: d.cond });
        return false;
      }
      case 'def_bool':
      case 'def_tristate': {
        e.type = word === 'def_bool' ? 'bool' : 'tristate';
        const d = exprWithIf(tokens, 1);
        e.defaults.push({ value: d.expr, cond: d.cond });
        return false;
      }
      case 'prompt':
        e.prompt = promptAt(tokens, 1) ?? e.prompt;
        return false;
      case 'range': {
        const a = parseExpr(tokens, 1);
        const b = parseExpr(tokens, a.next);
        e.ranges.push({ min: a.expr, max: b.expr, cond: condAt(tokens, b.next) });
        return false;
      }
      case 'modules':
        if (e.symbol) db.modulesSymbol = e.symbol;
        return false;
      case 'option':
        if (tokens[1]?.value === 'modules' && e.symbol) db.modulesSymbol = e.symbol;
        return false;
    }
    const type = TYPE_WORDS[word];
    if (type) {
      e.type = type;
      e.prompt = promptAt(tokens, 1) ?? e.prompt;
    }
    return false; // unknown attribute (optional, transitional, allnoconfig_y, ...): ignored
  };

  const parseFile = (absFile: string, optional: boolean, where: string): void => {
    const text = io.read(absFile);
    const file = relative(srcDir, absFile).split('\\').join(posix.sep);
    if (text === null) {
      if (!optional) db.warnings.push(`${where}: missing Kconfig file ${file}`);
      return;
    }
    db.files.push(file);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      let raw = lines[i]!;
      while (raw.endsWith('\\') && i + 1 < lines.length) raw = raw.slice(0, -1) + ' ' + lines[++i]!;
      const trimmed = raw.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (trimmed.startsWith('$(')) continue; // bare macro call such as $(error-if,...)
      const assign = raw.includes('=') ? ASSIGNMENT.exec(raw) : null;
      if (assign && !KEYWORDS.has(assign[1]!)) {
        const [, name, op, value] = assign;
        vars.set(name!, op === '+=' ? `${vars.get(name!) ?? ''} ${value}` : value!);
        continue;
      }
      let isHelp: boolean;
      try {
        const tokens = tokenizeLine(raw);
        if (tokens.length === 0) continue;
        isHelp = handleLine(tokens, absFile, file, lineNo);
      } catch (err) {
        if (!(err instanceof KconfigSyntaxError)) throw err;
        db.warnings.push(`${file}:${lineNo}: ${err.message}`);
        continue;
      }
      if (isHelp) {
        // Help text: the first non-blank line sets the indentation; a less indented line ends it.
        let first = -1;
        while (i + 1 < lines.length) {
          const next = lines[i + 1]!;
          if (isBlank(next)) {
            i++;
            continue;
          }
          const w = indentWidth(next);
          if (first < 0) {
            if (w === 0) break;
            first = w;
          } else if (w < first) break;
          i++;
        }
      }
    }
  };

  const rootRel = opts.root ?? 'Kconfig';
  parseFile(join(srcDir, rootRel), false, '<root>');
  closeEntry();
  if (frames.length > 0) db.warnings.push(`unterminated ${frames.map((f) => f.kind).join(', ')} at end of input`);
  return db;
}

/** A symbol's combined direct dependency: OR over its definitions (null = unconditional), like the kernel's dir_dep. */
export function symbolDependsOn(sym: KconfigSymbol): Expr | null {
  if (sym.definitions.length === 0 || sym.definitions.some((d) => d.dependsOn === null)) return null;
  return orExpr(...sym.definitions.map((d) => d.dependsOn));
}

/** `file:line` of every definition of a symbol. */
export function definitionSites(sym: KconfigSymbol): string[] {
  return sym.definitions.map((d) => `${d.file}:${d.line}`);
}
