/**
 * Kconfig-language parser over a kernel source tree: symbols, definitions with locations, direct and reverse deps.
 * KconfigParser reads the files line by line, one method per keyword group; parseKconfigTree/loadKconfig run it.
 */
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

/** Parse `<expr> [if <expr>]` style tails. */
function exprWithIf(tokens: Token[], from: number): { expr: Expr; cond: Expr | null } {
  const { expr, next } = parseExpr(tokens, from);
  return { expr, cond: condAt(tokens, next) };
}

/** The `if <expr>` condition at `at`, if the line has one there. */
function condAt(tokens: Token[], at: number): Expr | null {
  const t = tokens[at];
  if (t?.kind === 'word' && t.value === 'if') return parseExpr(tokens, at + 1).expr;
  return null;
}

/** `"prompt" [if E]` starting at `from`, if there is a quoted prompt there. */
function promptAt(tokens: Token[], from: number): { text: string; cond: Expr | null } | null {
  const t = tokens[from];
  return t?.kind === 'str' ? { text: t.value, cond: condAt(tokens, from + 1) } : null;
}

/** Index of the last line of the help text that follows line `i`: the first non-blank line sets the indentation, a less indented one ends it. */
function helpTextEnd(lines: readonly string[], i: number): number {
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
  return i;
}

/** Where a line is: the file's absolute path, its path relative to the tree, its line number. */
interface LineAt {
  absFile: string;
  file: string;
  line: number;
}

/** One parse of one Kconfig tree: the open blocks and entry as state, one method per keyword group. */
class KconfigParser {
  readonly db: KconfigDb;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly vars = new Map<string, string>();
  private readonly frames: Frame[] = [];
  private entry: OpenEntry | null = null;

  constructor(
    private readonly srcDir: string,
    private readonly opts: LoadKconfigOptions,
    private readonly io: KconfigSource,
  ) {
    this.env = opts.env ?? process.env;
    this.db = { srcDir, srcarch: opts.srcarch, symbols: new Map(), choices: [], files: [], modulesSymbol: null, warnings: [] };
  }

  /** Parse from the root Kconfig file; the database, with warnings for blocks left open. */
  parse(): KconfigDb {
    this.parseFile(join(this.srcDir, this.opts.root ?? 'Kconfig'), false, '<root>');
    this.closeEntry();
    if (this.frames.length > 0) this.db.warnings.push(`unterminated ${this.frames.map((f) => f.kind).join(', ')} at end of input`);
    return this.db;
  }

  /** The symbol of this name, created on first mention. */
  private symbol(name: string): KconfigSymbol {
    let s = this.db.symbols.get(name);
    if (!s) {
      s = { name, type: 'unknown', definitions: [], selectedBy: [], impliedBy: [] };
      this.db.symbols.set(name, s);
    }
    return s;
  }

  /** Expand `$(VAR)` macros in a source path (Kconfig variables, SRCARCH, env); unknown ones stay as written. */
  private expand(text: string, depth = 0): string {
    if (depth > 10) return text;
    return text.replace(/\$\(([A-Za-z0-9_-]+)\)/g, (whole, name: string) => {
      if (name === 'SRCARCH') return this.opts.srcarch;
      const v = this.vars.get(name) ?? this.env[name];
      return v === undefined ? whole : this.expand(v, depth + 1);
    });
  }

  /** Read one file (a missing one is a warning unless optional), line by line. */
  private parseFile(absFile: string, optional: boolean, where: string): void {
    const text = this.io.read(absFile);
    const file = relative(this.srcDir, absFile).split('\\').join(posix.sep);
    if (text === null) {
      if (!optional) this.db.warnings.push(`${where}: missing Kconfig file ${file}`);
      return;
    }
    this.db.files.push(file);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      let raw = lines[i]!;
      while (raw.endsWith('\\') && i + 1 < lines.length) raw = raw.slice(0, -1) + ' ' + lines[++i]!;
      if (this.logicalLine(raw, { absFile, file, line: lineNo })) i = helpTextEnd(lines, i);
    }
  }

  /** One logical line (continuations joined): a comment, a macro call, a variable assignment or keyword line; true when help text follows. */
  private logicalLine(raw: string, at: LineAt): boolean {
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return false;
    if (trimmed.startsWith('$(')) return false; // bare macro call such as $(error-if,...)
    const assign = raw.includes('=') ? ASSIGNMENT.exec(raw) : null;
    if (assign && !KEYWORDS.has(assign[1]!)) {
      const [, name, op, value] = assign;
      this.vars.set(name!, op === '+=' ? `${this.vars.get(name!) ?? ''} ${value}` : value!);
      return false;
    }
    try {
      const tokens = tokenizeLine(raw);
      return tokens.length > 0 && this.keywordLine(tokens, at);
    } catch (err) {
      if (!(err instanceof KconfigSyntaxError)) throw err;
      this.db.warnings.push(`${at.file}:${at.line}: ${err.message}`);
      return false;
    }
  }

  /** Dispatch a tokenized line by its keyword; true for `help` (help text follows). */
  private keywordLine(tokens: Token[], at: LineAt): boolean {
    const kw = tokens[0]!;
    const word = kw.kind === 'word' ? kw.value : '';
    if (word === 'help' || word === '---help---') return true;
    if (this.entryKeyword(word, tokens, at) || this.blockKeyword(word, tokens, at) || this.sourceKeyword(word, tokens, at)) return false;
    const e = this.entry;
    if (!e) return false; // attribute outside any entry: ignore
    if (!this.dependencyAttribute(e, word, tokens, at.line)) this.valueAttribute(e, word, tokens);
    return false;
  }

  /** `config`, `menuconfig`, `comment`, `mainmenu`: start (or, for mainmenu, just end) an entry. */
  private entryKeyword(word: string, tokens: Token[], at: LineAt): boolean {
    switch (word) {
      case 'config':
      case 'menuconfig': {
        const name = tokens[1]?.value;
        if (!name) throw new KconfigSyntaxError('config without a symbol name');
        this.openEntry('config', at, name);
        return true;
      }
      case 'comment':
        this.openEntry('comment', at, null);
        return true;
      case 'mainmenu':
        this.closeEntry();
        return true;
    }
    return false;
  }

  /** The block structure: `choice`/`menu`/`if` open a frame, `endchoice`/`endmenu`/`endif` close it. */
  private blockKeyword(word: string, tokens: Token[], at: LineAt): boolean {
    switch (word) {
      case 'choice':
      case 'menu':
        this.openBlock(word, tokens, at);
        return true;
      case 'if':
        this.closeEntry();
        this.frames.push({ kind: 'if', deps: [parseExpr(tokens, 1).expr], visible: [], choice: null });
        return true;
      case 'endchoice':
      case 'endmenu':
      case 'endif':
        this.popFrame(word.slice(3) as Frame['kind'], `${at.file}:${at.line}`);
        return true;
    }
    return false;
  }

  /** A `choice` or `menu` entry and the frame its attributes and children go to. */
  private openBlock(kind: 'choice' | 'menu', tokens: Token[], at: LineAt): void {
    let choice: number | null = null;
    if (kind === 'choice') {
      const c: KconfigChoice = { prompt: null, file: at.file, line: at.line, dependsOn: null, members: [] };
      choice = this.db.choices.push(c) - 1;
    }
    const ent = this.openEntry(kind, at, kind === 'choice' ? (tokens[1]?.value ?? null) : null);
    ent.ownFrame = { kind, deps: [], visible: [], choice };
    this.frames.push(ent.ownFrame);
  }

  /** Close the innermost frame, which must be of this kind (else a warning). */
  private popFrame(kind: Frame['kind'], where: string): void {
    this.closeEntry();
    const top = this.frames[this.frames.length - 1];
    if (top?.kind === kind) this.frames.pop();
    else this.db.warnings.push(`${where}: end${kind} without matching ${kind}`);
  }

  /** `source`, `osource` (optional), `rsource` (relative to this file), `orsource`: parse the files it names. */
  private sourceKeyword(word: string, tokens: Token[], at: LineAt): boolean {
    if (word !== 'source' && word !== 'osource' && word !== 'rsource' && word !== 'orsource') return false;
    this.closeEntry();
    const spec = tokens[1];
    if (!spec) return true;
    const where = `${at.file}:${at.line}`;
    const path = this.expand(spec.value);
    const base = word.startsWith('r') || word.startsWith('or') ? dirname(at.absFile) : this.srcDir;
    const optional = word.startsWith('o');
    const abs = path.startsWith('/') ? path : join(base, path);
    const matches = /[*?[]/.test(path) ? this.io.glob(abs) : [abs];
    if (matches.length === 0 && !optional) this.db.warnings.push(`${where}: no Kconfig file matches '${path}'`);
    for (const m of matches) this.parseFile(m, optional, where);
    return true;
  }

  /** `depends on`, `visible if`, `select`, `imply` of the open entry. */
  private dependencyAttribute(e: OpenEntry, word: string, tokens: Token[], line: number): boolean {
    switch (word) {
      case 'depends': {
        const dep = parseExpr(tokens, tokens[1]?.value === 'on' ? 2 : 1).expr;
        // A menu's dependency applies to its children; a choice's is pushed to its frame when the entry closes.
        if (e.kind === 'menu') e.ownFrame!.deps.push(dep);
        else e.deps.push(dep);
        return true;
      }
      case 'visible': {
        const cond = e.ownFrame && e.kind === 'menu' ? condAt(tokens, 1) : null;
        if (cond) e.ownFrame!.visible.push(cond);
        return true;
      }
      case 'select':
      case 'imply': {
        const target = tokens[1];
        if (target?.kind === 'word') (word === 'select' ? e.selects : e.implies).push({ symbol: target.value, cond: condAt(tokens, 2), line });
        return true;
      }
    }
    return false;
  }

  /** Type, prompt, defaults, range and `modules` of the open entry; unknown attributes (optional, transitional…) are ignored. */
  private valueAttribute(e: OpenEntry, word: string, tokens: Token[]): void {
    switch (word) {
      case 'default':
      case 'def_bool':
      case 'def_tristate': {
        if (word !== 'default') e.type = word === 'def_bool' ? 'bool' : 'tristate';
        const d = exprWithIf(tokens, 1);
        e.defaults.push({ value: d.expr, cond: d.cond });
        return;
      }
      case 'prompt':
        e.prompt = promptAt(tokens, 1) ?? e.prompt;
        return;
      case 'range': {
        const a = parseExpr(tokens, 1);
        const b = parseExpr(tokens, a.next);
        e.ranges.push({ min: a.expr, max: b.expr, cond: condAt(tokens, b.next) });
        return;
      }
      case 'modules':
      case 'option':
        if ((word === 'modules' || tokens[1]?.value === 'modules') && e.symbol) this.db.modulesSymbol = e.symbol;
        return;
    }
    const type = TYPE_WORDS[word];
    if (type) {
      e.type = type;
      e.prompt = promptAt(tokens, 1) ?? e.prompt;
    }
  }

  /** Close the open entry and start a new one inside the current frames. */
  private openEntry(kind: OpenEntry['kind'], at: Pick<LineAt, 'file' | 'line'>, sym: string | null): OpenEntry {
    this.closeEntry();
    const { file, line } = at;
    const e: OpenEntry = { kind, symbol: sym, type: null, frames: [...this.frames], ownFrame: null, file, line, deps: [], prompt: null, defaults: [], selects: [], implies: [], ranges: [] };
    this.entry = e;
    return e;
  }

  /** Record the open entry (a choice's prompt and deps, or a config's definition and reverse deps); menus and comments record nothing. */
  private closeEntry(): void {
    const e = this.entry;
    this.entry = null;
    if (e?.kind === 'choice') this.closeChoice(e);
    else if (e?.kind === 'config') this.closeConfig(e);
  }

  /** A choice's prompt and dependency; its deps and prompt condition go to its frame (its members inherit them). */
  private closeChoice(e: OpenEntry): void {
    const choice = this.db.choices[e.ownFrame!.choice!]!;
    choice.prompt = e.prompt?.text ?? null;
    choice.dependsOn = andExpr(...e.frames.flatMap((f) => f.deps), ...e.deps);
    e.ownFrame!.deps.push(...e.deps);
    // A choice whose prompt is hidden hides its members' prompts too.
    if (e.prompt?.cond) e.ownFrame!.visible.push(e.prompt.cond);
  }

  /** A config's definition (deps and visibility of the enclosing frames folded in) and the select/imply edges it adds. */
  private closeConfig(e: OpenEntry): void {
    const dependsOn = andExpr(...e.frames.flatMap((f) => f.deps), ...e.deps);
    const visible = e.frames.flatMap((f) => f.visible);
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
    const sym = this.symbol(e.symbol!);
    if (e.type && (sym.type === 'unknown' || sym.type === e.type)) sym.type = e.type;
    sym.definitions.push(def);
    if (def.choice !== null) this.db.choices[def.choice]!.members.push(sym.name);
    const self: Expr = { op: 'sym', name: sym.name };
    for (const [edges, list] of [[e.selects, 'selectedBy'], [e.implies, 'impliedBy']] as const) {
      for (const s of edges) this.symbol(s.symbol)[list].push({ by: sym.name, expr: andExpr(self, dependsOn, s.cond)!, at: `${e.file}:${s.line}` });
    }
  }
}

/** Parse the Kconfig tree of `srcDir` for one SRCARCH (reads files); tolerant: unknown attributes are ignored. */
export function loadKconfig(srcDir: string, opts: LoadKconfigOptions): KconfigDb {
  return parseKconfigTree(srcDir, opts, fsKconfigSource());
}

/** Parse a Kconfig tree through an injected source (pure apart from what `source` does). */
export function parseKconfigTree(srcDir: string, opts: LoadKconfigOptions, io: KconfigSource): KconfigDb {
  return new KconfigParser(srcDir, opts, io).parse();
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
