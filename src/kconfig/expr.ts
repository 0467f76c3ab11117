/** Kconfig expressions: tokenizing, parsing, tristate evaluation, menuconfig-style rendering and blame. */
import type { CompareOp, Expr, KconfigType } from './types.js';

/** A token of one Kconfig line: a bare word (symbol, number, keyword, `$(macro)`), a quoted string or an operator. */
export interface Token {
  kind: 'word' | 'str' | 'op';
  value: string;
}

/** Error in a Kconfig expression or line. */
export class KconfigSyntaxError extends Error {
  override name = 'KconfigSyntaxError';
}

/** Character codes that end a bare word. */
const WORD_STOP = new Uint8Array(128);
for (const c of ' \t\r\n"\'()!=<>&|#') WORD_STOP[c.charCodeAt(0)] = 1;
const isStop = (code: number): boolean => code < 128 && WORD_STOP[code] === 1;

/** Index just past the `)` closing the `(` at `open` (nested parentheses allowed); text.length if unbalanced. */
function macroEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 /* ( */) depth++;
    else if (c === 41 /* ) */ && --depth === 0) return i + 1;
  }
  return text.length;
}

/** Operator starting at `i`, if any. */
function opAt(text: string, i: number): string | null {
  const c = text[i];
  const d = text[i + 1];
  switch (c) {
    case '&':
      return d === '&' ? '&&' : null;
    case '|':
      return d === '|' ? '||' : null;
    case '!':
    case '<':
    case '>':
      return d === '=' ? c + d : c;
    case '=':
    case '(':
    case ')':
      return c;
    default:
      return null;
  }
}

/** Split one logical Kconfig line into tokens; a `#` outside quotes ends the line. */
export function tokenizeLine(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      let from = j;
      for (; j < n && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < n) {
          value += text.slice(from, j);
          from = ++j;
        }
      }
      value += text.slice(from, j);
      tokens.push({ kind: 'str', value });
      i = j + 1;
    } else {
      const op = c === '$' ? null : opAt(text, i);
      if (op) {
        tokens.push({ kind: 'op', value: op });
        i += op.length;
        continue;
      }
      let j = i;
      while (j < n) {
        const code = text.charCodeAt(j);
        if (isStop(code)) break;
        j = code === 36 /* $ */ && text.charCodeAt(j + 1) === 40 /* ( */ ? macroEnd(text, j + 1) : j + 1;
      }
      if (j === i) j = i + 1; // lone '&' or '|': a one-character word rather than an endless loop
      tokens.push({ kind: 'word', value: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

const CMP_OPS = new Set<string>(['=', '!=', '<', '<=', '>', '>=']);

/** Parse an expression from `tokens[pos..]`; returns it and the index of the first unconsumed token. */
export function parseExpr(tokens: readonly Token[], pos = 0): { expr: Expr; next: number } {
  let i = pos;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (v: string): boolean => peek()?.kind === 'op' && peek()?.value === v;

  const primary = (): Expr => {
    const t = peek();
    if (!t) throw new KconfigSyntaxError('unexpected end of expression');
    if (t.kind === 'op' && t.value === '!') {
      i++;
      return { op: 'not', arg: primary() };
    }
    if (t.kind === 'op' && t.value === '(') {
      i++;
      const e = or();
      if (!isOp(')')) throw new KconfigSyntaxError('missing )');
      i++;
      return e;
    }
    const left = atom();
    const n = peek();
    if (n?.kind === 'op' && CMP_OPS.has(n.value)) {
      i++;
      return { op: 'cmp', cmp: n.value as CompareOp, left, right: atom() };
    }
    return left;
  };
  const atom = (): Expr => {
    const t = peek();
    if (!t || t.kind === 'op') throw new KconfigSyntaxError(`expected a symbol, got ${t ? `'${t.value}'` : 'end of line'}`);
    i++;
    return t.kind === 'str' ? { op: 'const', value: t.value } : { op: 'sym', name: t.value };
  };
  /** `sub (op sub)*`, joined into one n-ary node when there are several. */
  const chain = (op: '&&' | '||', sub: () => Expr, join: (...args: Expr[]) => Expr | null): Expr => {
    const args = [sub()];
    while (isOp(op)) {
      i++;
      args.push(sub());
    }
    return args.length === 1 ? args[0]! : join(...args)!;
  };
  const and = (): Expr => chain('&&', primary, andExpr);
  const or = (): Expr => chain('||', and, orExpr);
  const expr = or();
  return { expr, next: i };
}

/** Parse a whole expression string, e.g. `A && (B || !C)`; throws on trailing tokens. */
export function parseExprText(text: string): Expr {
  const tokens = tokenizeLine(text);
  const { expr, next } = parseExpr(tokens);
  if (next !== tokens.length) throw new KconfigSyntaxError(`unexpected '${tokens[next]!.value}' in expression`);
  return expr;
}

function combine(op: 'and' | 'or', parts: readonly (Expr | null | undefined)[]): Expr | null {
  const args: Expr[] = [];
  // De-duplicate shared sub-expressions by identity (enclosing-block deps are shared objects) and symbols by name.
  const seen = new Set<Expr | string>();
  const push = (e: Expr): void => {
    if (e.op === op) return e.args.forEach(push);
    const k = e.op === 'sym' ? e.name : e;
    if (!seen.has(k)) {
      seen.add(k);
      args.push(e);
    }
  };
  for (const p of parts) if (p) push(p);
  if (args.length === 0) return null;
  return args.length === 1 ? args[0]! : { op, args };
}

/** AND of the non-null parts, flattened and de-duplicated; null when all are null (= no dependency). */
export function andExpr(...parts: (Expr | null | undefined)[]): Expr | null {
  return combine('and', parts);
}

/** OR of the non-null parts, flattened and de-duplicated; null when all are null. */
export function orExpr(...parts: (Expr | null | undefined)[]): Expr | null {
  return combine('or', parts);
}

/** What evaluation needs: symbol values (a parsed .config) and optionally symbol types from the Kconfig db. */
export interface EvalContext {
  values: ReadonlyMap<string, string>;
  typeOf?: (name: string) => KconfigType | undefined;
}

const NUMBER = /^(-?[0-9]+|0[xX][0-9a-fA-F]+)$/;

/** True for the constant words y/m/n, numbers and `$(macro)` words: things that are not real symbols. */
export function isLiteralWord(name: string): boolean {
  return name === 'y' || name === 'm' || name === 'n' || NUMBER.test(name) || name.startsWith('$(');
}

/** String value of an atom: .config value, else 'n' for bool/tristate, '' for int/hex/string, the word itself for literals. */
export function atomValue(e: Expr, ctx: EvalContext): string {
  if (e.op === 'const') return e.value;
  if (e.op !== 'sym') return triName(evalTristate(e, ctx));
  const { name } = e;
  if (name === 'y' || name === 'm' || name === 'n') return name;
  const v = ctx.values.get(name);
  if (v !== undefined) return v;
  const t = ctx.typeOf?.(name);
  if (t === 'int' || t === 'hex' || t === 'string') return '';
  if (t === 'bool' || t === 'tristate') return 'n';
  return isLiteralWord(name) ? name : 'n';
}

/** 0/1/2 → n/m/y. */
export function triName(v: number): 'n' | 'm' | 'y' {
  return v >= 2 ? 'y' : v === 1 ? 'm' : 'n';
}

/** y/m/n → 2/1/0 (anything else 0). */
export function triValue(s: string): number {
  return s === 'y' ? 2 : s === 'm' ? 1 : 0;
}

function parseNumber(s: string): bigint | null {
  if (!NUMBER.test(s)) return null;
  return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
}

/** Kconfig comparison: numerically when both sides are numbers, else by string; result is true/false. */
export function compareValues(cmp: CompareOp, a: string, b: string): boolean {
  const na = parseNumber(a);
  const nb = parseNumber(b);
  const c = na !== null && nb !== null ? (na > nb ? 1 : na < nb ? -1 : 0) : a > b ? 1 : a < b ? -1 : 0;
  switch (cmp) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Tristate value of an expression (n=0, m=1, y=2): && = min, || = max, ! = 2-x, comparisons give 0 or 2. */
export function evalTristate(e: Expr | null, ctx: EvalContext): number {
  if (e === null) return 2;
  switch (e.op) {
    case 'sym':
    case 'const':
      return triValue(atomValue(e, ctx));
    case 'not':
      return 2 - evalTristate(e.arg, ctx);
    case 'and':
      return Math.min(...e.args.map((a) => evalTristate(a, ctx)));
    case 'or':
      return Math.max(...e.args.map((a) => evalTristate(a, ctx)));
    case 'cmp':
      return compareValues(e.cmp, atomValue(e.left, ctx), atomValue(e.right, ctx)) ? 2 : 0;
  }
}

const PREC = { or: 1, and: 2, not: 3, cmp: 4, sym: 5, const: 5 } as const;

/** Render an expression in Kconfig syntax; with a context each symbol is annotated like menuconfig: `BLK_DEV [=n]`. */
export function renderExpr(e: Expr, ctx?: EvalContext): string {
  const sub = (x: Expr, min: number): string => {
    const s = renderExpr(x, ctx);
    return PREC[x.op] < min ? `(${s})` : s;
  };
  switch (e.op) {
    case 'sym':
      return ctx && !isLiteralWord(e.name) ? `${e.name} [=${atomValue(e, ctx)}]` : e.name;
    case 'const':
      return `"${e.value.replace(/(["\\])/g, '\\$1')}"`;
    case 'not':
      return `!${sub(e.arg, PREC.sym)}`;
    case 'and':
      return e.args.map((a) => sub(a, PREC.and)).join(' && ');
    case 'or':
      return e.args.map((a) => sub(a, PREC.or)).join(' || ');
    case 'cmp':
      return `${sub(e.left, PREC.sym)} ${e.cmp} ${sub(e.right, PREC.sym)}`;
  }
}

/** All real symbol names in an expression (literals, quoted constants and macros excluded), in order, unique. */
export function exprSymbols(e: Expr | null): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    if (x.op === 'sym') {
      if (!isLiteralWord(x.name)) out.add(x.name);
    } else if (x.op === 'not') walk(x.arg);
    else if (x.op === 'and' || x.op === 'or') x.args.forEach(walk);
    else if (x.op === 'cmp') {
      walk(x.left);
      walk(x.right);
    }
  };
  if (e) walk(e);
  return [...out];
}

/** A symbol blamed for an expression being too low; `negated` when it is blamed for being on (under a `!`). */
export interface Blame {
  name: string;
  negated: boolean;
}

/**
 * Atoms that keep `e` below `need` (1 = at least m, 2 = y): under && the low operands, under || all of them,
 * under ! the operand's parts that are too high (reported `negated`), for a comparison its symbols.
 */
export function blameExpr(e: Expr | null, ctx: EvalContext, need: number): Blame[] {
  const out: Blame[] = [];
  const seen = new Set<string>();
  const add = (name: string, negated: boolean): void => {
    const k = `${negated ? '!' : ''}${name}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ name, negated });
    }
  };
  // low: value < bound must be explained; high: value > bound must be explained.
  const walk = (x: Expr, low: boolean, bound: number): void => {
    const v = evalTristate(x, ctx);
    if (low ? v >= bound : v <= bound) return;
    switch (x.op) {
      case 'sym':
        add(x.name, !low);
        return;
      case 'const':
        return;
      case 'not':
        return walk(x.arg, !low, 2 - bound);
      case 'and':
      case 'or':
        // A too-low AND / too-high OR: only the offending operands; a too-low OR / too-high AND: all of them.
        for (const a of x.args) walk(a, low, bound);
        return;
      case 'cmp':
        for (const s of exprSymbols(x)) add(s, !low);
        return;
    }
  };
  if (e) walk(e, true, need);
  return out;
}
