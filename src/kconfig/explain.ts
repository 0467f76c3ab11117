/** "Why did this symbol not stick": explain requested symbols whose final .config value differs (pure). */
import { dotConfigValue } from './dotconfig.js';
import { andExpr, blameExpr, evalTristate, renderExpr, triValue, type Blame, type EvalContext } from './expr.js';
import { definitionSites, symbolDependsOn } from './parser.js';
import type { KconfigDb, KconfigSymbol, KconfigUnmet, UnmetReason } from './types.js';

export type { KconfigUnmet } from './types.js';

/** An explanation before the message is composed. */
type Draft = Omit<KconfigUnmet, 'message' | 'symbol' | 'requested' | 'actual'> & { detail: string };

/** Evaluation context over a final .config, typed by the Kconfig db. */
export function evalContext(db: KconfigDb, values: ReadonlyMap<string, string>): EvalContext {
  return { values, typeOf: (name) => db.symbols.get(name)?.type };
}

/** True when the final value does not match the request (m vs y differs too; strings/ints compared as strings). */
export function valueDiffers(requested: string, actual: string): boolean {
  return requested !== actual;
}

function isTristateLike(sym: KconfigSymbol | undefined): boolean {
  return sym?.type === 'bool' || sym?.type === 'tristate';
}

/** How a value is written in a fragment line for this symbol. */
function showValue(sym: KconfigSymbol | undefined, v: string): string {
  return sym?.type === 'string' ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v;
}

/** Compose the one-line message of an explanation. */
function composeMessage(symbol: string, sym: KconfigSymbol | undefined, requested: string, actual: string, detail: string): string {
  const got = actual === 'n' ? 'is not set' : `=${showValue(sym, actual)}`;
  return `CONFIG_${symbol}=${showValue(sym, requested)} requested but ${got}: ${detail}`;
}

/** Explains requested symbols against one db and one final .config, following root causes across requests. */
class Explainer {
  private readonly ctx: EvalContext;
  private readonly memo = new Map<string, Draft>();

  constructor(
    private readonly db: KconfigDb,
    private readonly values: ReadonlyMap<string, string>,
    private readonly requested: ReadonlyMap<string, string>,
  ) {
    this.ctx = evalContext(db, values);
  }

  actual(symbol: string): string {
    return dotConfigValue(this.values, symbol);
  }

  /** True when `symbol` was requested on and came out lower (held off). */
  private droppedRequest(symbol: string): boolean {
    const req = this.requested.get(symbol);
    if (req === undefined || req === 'n') return false;
    const act = this.actual(symbol);
    return isTristateLike(this.db.symbols.get(symbol)) ? triValue(req) > triValue(act) : act === 'n';
  }

  /** Root causes of blamed symbols: a blamed symbol that was itself requested and dropped contributes its own causes. */
  private roots(blames: Blame[], visiting: Set<string>): string[] {
    const out = new Set<string>();
    for (const b of blames) {
      if (!b.negated && !visiting.has(b.name) && this.droppedRequest(b.name)) {
        const sub = this.draft(b.name, this.requested.get(b.name)!, visiting);
        const subRoots = sub.rootCause.length > 0 ? sub.rootCause : [b.name];
        subRoots.forEach((r) => out.add(r));
      } else {
        out.add(b.name);
      }
    }
    return [...out];
  }

  /** Explain one requested symbol (memoised; `visiting` guards dependency cycles). */
  draft(symbol: string, requested: string, visiting = new Set<string>()): Draft {
    const memo = this.memo.get(symbol);
    if (memo) return memo;
    const next = new Set(visiting).add(symbol);
    const d = this.compute(symbol, requested, next);
    this.memo.set(symbol, d);
    return d;
  }

  private base(sym: KconfigSymbol, reason: UnmetReason, detail: string): Draft {
    const dep = symbolDependsOn(sym);
    return {
      reason,
      detail,
      dependsOn: dep ? renderExpr(dep, this.ctx) : '',
      unmet: [],
      rootCause: [],
      selectedBy: [],
      definedAt: definitionSites(sym),
    };
  }

  /** Active selectors of `sym` that push it above `level`, annotated. */
  private activeSelectors(sym: KconfigSymbol, level: number): { names: string[]; rendered: string[] } {
    const active = sym.selectedBy.filter((r) => evalTristate(r.expr, this.ctx) > level);
    return { names: [...new Set(active.map((r) => r.by))], rendered: active.map((r) => renderExpr(r.expr, this.ctx)) };
  }

  private compute(symbol: string, requested: string, visiting: Set<string>): Draft {
    const sym = this.db.symbols.get(symbol);
    if (!sym || sym.definitions.length === 0) {
      return {
        reason: 'undefined',
        detail: `${symbol} is not defined in this Kconfig tree (typo or removed symbol?)`,
        dependsOn: '',
        unmet: [],
        rootCause: [],
        selectedBy: [],
        definedAt: [],
      };
    }
    const actual = this.actual(symbol);
    const tri = isTristateLike(sym);
    const reqTri = triValue(requested);
    const actTri = triValue(actual);
    const modules = this.db.modulesSymbol;
    const modulesOff = modules !== null && this.actual(modules) !== 'y';

    if (tri && requested === 'm' && sym.type === 'bool') {
      return this.base(sym, 'type', `${symbol} is bool, it cannot be m`);
    }
    const heldOff = requested !== 'n' && (tri ? reqTri > actTri : actual === 'n');
    if (heldOff) return this.heldOff(sym, requested, visiting, modulesOff);
    if (tri && reqTri < actTri) return this.forcedOn(sym, reqTri, modulesOff);
    const d = this.base(sym, 'value', 'the requested value did not stick');
    const ranges = sym.definitions.flatMap((def) => def.ranges).filter((r) => evalTristate(r.cond, this.ctx) > 0);
    if (ranges[0]) d.detail += ` (range ${renderExpr(ranges[0].min, this.ctx)} ${renderExpr(ranges[0].max, this.ctx)})`;
    return d;
  }

  private heldOff(sym: KconfigSymbol, requested: string, visiting: Set<string>, modulesOff: boolean): Draft {
    const need = isTristateLike(sym) ? triValue(requested) : 1;
    const dep = symbolDependsOn(sym);
    const depVal = evalTristate(dep, this.ctx);
    if (depVal < need) {
      const d = this.base(sym, 'depends', '');
      const blames = blameExpr(dep, this.ctx, need);
      d.unmet = [...new Set(blames.map((b) => b.name))];
      d.rootCause = this.roots(blames, visiting);
      const limit = depVal === 1 ? ' (=m, so at most m)' : '';
      d.detail = `depends on ${d.dependsOn}${limit}; unmet: ${describeBlames(blames)}`;
      if (d.rootCause.join() !== d.unmet.join()) d.detail += `; root cause: ${d.rootCause.join(', ')}`;
      return d;
    }
    if (requested === 'm' && modulesOff) {
      const d = this.base(sym, 'modules', `${this.db.modulesSymbol} [=n] is off, so m is not possible`);
      d.unmet = [this.db.modulesSymbol!];
      d.rootCause = this.roots([{ name: this.db.modulesSymbol!, negated: false }], visiting);
      return d;
    }
    const prompted = sym.definitions.filter((def) => def.prompt);
    const visible = prompted.some((def) => evalTristate(andExpr(def.dependsOn, def.prompt!.visible), this.ctx) >= need);
    if (!visible) {
      // Selectors that were themselves requested and dropped are the real reason such a symbol stayed off.
      const dropped = [...new Set(sym.selectedBy.map((r) => r.by))].filter((by) => !visiting.has(by) && this.droppedRequest(by));
      const viaSelect = (d: Draft): Draft => {
        if (dropped.length === 0) return d;
        d.rootCause = [...new Set([...d.rootCause, ...this.roots(dropped.map((name) => ({ name, negated: false })), visiting)])];
        d.detail += `; selected by ${dropped.join(', ')} (requested, not set)`;
        return d;
      };
      if (prompted.length === 0) {
        return viaSelect(this.base(sym, 'no-prompt', `${sym.name} has no prompt, so a fragment cannot set it (only select/default can)`));
      }
      const conds = prompted.map((def) => def.prompt!.visible);
      const cond = conds.every((c) => c !== null) ? andExpr(...conds) : null;
      const d = this.base(sym, 'no-prompt', '');
      const blames = cond ? blameExpr(cond, this.ctx, need) : [];
      d.unmet = blames.map((b) => b.name);
      d.rootCause = this.roots(blames, visiting);
      const shown = cond ? `if ${renderExpr(cond, this.ctx)}` : 'hidden';
      d.detail = `prompt is hidden (${shown}), so a fragment cannot set it`;
      if (blames.length > 0) d.detail += `; unmet: ${describeBlames(blames)}`;
      return viaSelect(d);
    }
    const choiceIdx = sym.definitions.find((def) => def.choice !== null)?.choice;
    const choice = choiceIdx === undefined || choiceIdx === null ? undefined : this.db.choices[choiceIdx];
    if (choice) {
      const picked = choice.members.find((m) => m !== sym.name && this.actual(m) === 'y');
      if (picked) {
        const d = this.base(sym, 'choice', `choice "${choice.prompt ?? '?'}" has ${picked} [=y] instead`);
        d.unmet = [picked];
        d.rootCause = [picked];
        return d;
      }
    }
    return this.base(sym, 'unknown', 'dependencies and prompt are satisfied, yet the value did not stick');
  }

  private forcedOn(sym: KconfigSymbol, reqTri: number, modulesOff: boolean): Draft {
    const sel = this.activeSelectors(sym, reqTri);
    if (sel.rendered.length > 0) {
      const d = this.base(sym, 'selected', `selected by ${sel.rendered.join(', ')}`);
      d.selectedBy = sel.rendered;
      d.rootCause = sel.names;
      return d;
    }
    if (reqTri === 1 && modulesOff) {
      const d = this.base(sym, 'modules', `${this.db.modulesSymbol} [=n] is off, so m becomes y`);
      d.unmet = [this.db.modulesSymbol!];
      d.rootCause = [this.db.modulesSymbol!];
      return d;
    }
    if (!sym.definitions.some((def) => def.prompt)) {
      return this.base(sym, 'no-prompt', `${sym.name} has no prompt, so its default applies and a fragment cannot change it`);
    }
    return this.base(sym, 'unknown', 'not selected by anything active; the value did not stick');
  }
}

/** `A, B, !C` — negated blames mean "C is on". */
function describeBlames(blames: Blame[]): string {
  return blames.map((b) => (b.negated ? `${b.name} (is on, needs off)` : b.name)).join(', ');
}

/** Explain every requested symbol (symbol → requested value) whose value in the final .config differs. */
export function explainUnmet(
  db: KconfigDb,
  values: ReadonlyMap<string, string>,
  requested: ReadonlyMap<string, string>,
): KconfigUnmet[] {
  const ex = new Explainer(db, values, requested);
  const out: KconfigUnmet[] = [];
  for (const [symbol, req] of requested) {
    const actual = ex.actual(symbol);
    if (!valueDiffers(req, actual)) continue;
    const { detail, ...d } = ex.draft(symbol, req);
    const message = composeMessage(symbol, db.symbols.get(symbol), req, actual, detail);
    out.push({ symbol, requested: req, actual, ...d, message });
  }
  return out;
}
