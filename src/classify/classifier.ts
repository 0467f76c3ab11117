/** The line-by-line classification engine: feeds every line to the kind units, dedupes, defers make errors. */
import type { Diagnostic } from '../types.js';
import { KIND_UNITS } from './kinds/index.js';
import { emptyLogDraft } from './kinds/infra.js';
import { cutFailure, isMakeCascade, makeError, safetyNet } from './kinds/make-error.js';
import { normaliseRoots, relativePath } from '../tree-paths.js';
import { cleanLine, detectPrefixes, stripPrefixes, tailIndent, type PrefixPlan } from './prefix.js';
import { defaultFingerprint, type Draft, type Follow, type KindUnit, type LineContext } from './unit.js';

/** Options of every classify entry point. */
export interface ClassifyOptions {
  /** Known absolute roots to strip from paths: the source tree / worktree and the O= build dir. */
  roots?: readonly string[];
}

const RECENT_LINES = 12;
/** Characters of a line the classifier looks at (the rest of a longer line is ignored). */
export const MAX_LINE = 4096;
const MAX_DEFERRED = 256;
const MAX_LEARNT_ROOTS = 16;
/** Lines read before deciding which prefixes repeat (bounded: at most SAMPLE × MAX_LINE chars held). */
const SAMPLE = 400;
const ENTERING = /^g?make(?:\[\d+\])?: Entering directory [`'‘](?<dir>\/[^'’]+)['’]$/;

/** A diagnostic with where it came from: 1-based line number and the line as the log has it (prefixes and all). */
export interface Located {
  diagnostic: Diagnostic;
  logLine: number;
  original: string;
}

interface Found {
  d: Diagnostic;
  seq: number;
}
interface Open {
  unit: KindUnit;
  draft: Draft;
  follow: Follow;
  left: number;
  seq: number;
  fallback: boolean;
}
interface Pending {
  raw: string;
  clean: string;
}

/** Incremental classifier: push lines as they arrive, then finish() for the diagnostics. */
export class LogClassifier {
  private roots: string[];
  private readonly learnt = new Set<string>();
  private readonly recent: string[] = [];
  private readonly states: unknown[];
  private readonly seen = new Set<string>();
  private readonly found: Found[] = [];
  private readonly deferred: Found[] = [];
  private readonly deferredSeen = new Set<string>();
  private open: Open[] = [];
  private seq = 0;
  /** Whether any line had something besides blanks and prefixes (an empty log is never PASS). */
  private content = false;
  private finished = false;
  private plan: PrefixPlan | null = null;
  private pending: Pending[] = [];
  /** Original text of the lines diagnostics started on, by seq (only those lines are kept). */
  private readonly origin = new Map<number, string>();
  private current = '';
  /** The last line read (prefixes stripped): a log may end in the middle of a failure line. */
  private last: { line: string; seq: number; raw: string } | null = null;
  /** Indentation of the build-system tail being read (Nix's two spaces, BitBake's `| `), or null. */
  private tail: RegExp | null = null;
  private readonly ctx: LineContext;

  /** A classifier for one log. */
  constructor(opts: ClassifyOptions = {}) {
    this.roots = normaliseRoots(opts.roots ?? []);
    this.states = KIND_UNITS.map((u) => u.init());
    const self = this;
    this.ctx = {
      get roots() {
        return self.roots;
      },
      recent: this.recent,
      rel: (p: string) => relativePath(p, self.roots),
    };
  }

  /** Feed one line (without its newline). */
  push(input: string): void {
    if (this.finished) throw new Error('LogClassifier: push() after finish()');
    const raw = input.length > MAX_LINE ? input.slice(0, MAX_LINE) : input;
    const clean = cleanLine(raw);
    if (this.plan !== null) {
      this.process(raw, clean, this.plan);
      return;
    }
    this.pending.push({ raw, clean });
    if (this.pending.length >= SAMPLE) this.decide();
  }

  /** Decide the prefix plan from the buffered sample and classify the buffered lines. */
  private decide(): void {
    const plan = detectPrefixes(this.pending.map((p) => p.clean));
    this.plan = plan;
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) this.process(p.raw, p.clean, plan);
  }

  private process(raw: string, clean: string, plan: PrefixPlan): void {
    const seq = this.seq++;
    let line = stripPrefixes(clean, plan);
    if (line === null) return;
    if (this.tail !== null) {
      const indent = this.tail.exec(line);
      if (indent === null) this.tail = null;
      else line = line.slice(indent[0].length);
    }
    this.tail = tailIndent(line) ?? this.tail;
    this.current = raw;
    this.last = { line, seq, raw };
    // NUL bytes are no content: a log zeroed by a crash is as empty as one that never got written.
    if (!this.content && /[^\s\0]/.test(line)) this.content = true;

    if (line.includes('Entering directory')) this.learnRoot(line);

    if (this.open.length > 0) {
      const still: Open[] = [];
      for (const o of this.open) {
        if (o.follow.next(line, o.draft, this.ctx) || --o.left <= 0) this.accept(o.unit, o.draft, o.seq, o.fallback);
        else still.push(o);
      }
      this.open = still;
    }

    // No diagnostic starts with whitespace (kbuild's "  CC  x.o", gcc's source excerpts, notes' context).
    const c0 = line.charCodeAt(0);
    if (line.length > 0 && c0 !== 0x20 && c0 !== 0x09) this.matchUnits(line, seq);
    else if (line.length > 0) this.matchNet(line, seq);

    this.recent.push(line);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
    if (raw.includes('\r')) this.overwritten(raw, seq);
  }

  /**
   * The segments of a line that a `\r` overwrote (a progress meter printed over a failure): a terminal hides them, the
   * log keeps them. A failure the safety net sees in one is kept as a fallback, so such a log is never PASS.
   */
  private overwritten(raw: string, seq: number): void {
    const segments = raw.replace(/\r+$/, '').split('\r');
    segments.pop();
    for (const s of segments) {
      const text = cleanLine(s);
      if (/[^\s\0]/.test(text)) this.content = true;
      const d = safetyNet(text, this.recent);
      if (d === null) continue;
      this.origin.set(seq, raw);
      this.accept(makeError, d, seq, true);
    }
  }

  private matchUnits(line: string, seq: number): void {
    for (let i = 0; i < KIND_UNITS.length; i++) KIND_UNITS[i]!.observe?.(line, this.states[i], this.ctx);
    for (let i = 0; i < KIND_UNITS.length; i++) {
      const unit = KIND_UNITS[i]!;
      const hit = unit.match(line, this.states[i], this.ctx);
      if (!hit) continue;
      if (hit.draft) {
        this.origin.set(seq, this.current);
        const fallback = hit.fallback === true || unit.kind === 'make-error';
        if (hit.follow) this.open.push({ unit, draft: hit.draft, follow: hit.follow, left: hit.follow.maxLines, seq, fallback });
        else this.accept(unit, hit.draft, seq, fallback);
      }
      break;
    }
  }

  /** An indented line is no unit's, but a failure shown in it (under an unknown prefix) is the safety net's. */
  private matchNet(line: string, seq: number): void {
    const d = safetyNet(line, this.recent);
    if (d === null) return;
    this.origin.set(seq, this.current);
    this.accept(makeError, d, seq, true);
  }

  /** End of log: the deduplicated diagnostics in log order. */
  finish(): Diagnostic[] {
    return this.finishLocated().map((l) => l.diagnostic);
  }

  /** End of log: the diagnostics in log order, each with the log line it started on. */
  finishLocated(): Located[] {
    if (this.finished) throw new Error('LogClassifier: finish() called twice');
    if (this.plan === null) this.decide();
    for (const o of this.open) this.accept(o.unit, o.draft, o.seq, o.fallback);
    this.open = [];
    const current = this.found.map((f) => f.d);
    for (let i = 0; i < KIND_UNITS.length; i++) {
      const unit = KIND_UNITS[i]!;
      for (const extra of unit.finish?.(this.states[i], current) ?? []) this.accept(unit, extra, this.seq);
    }
    this.finished = true;
    // A last line cut off in a failure line: its start is all the log shows of the failure.
    const cut = this.last === null ? null : cutFailure(this.last.line);
    if (cut !== null) {
      this.origin.set(this.last!.seq, this.last!.raw);
      this.accept(makeError, cut, this.last!.seq, true);
    }
    // A summary line (make's own, cc1's -Werror note, dtc's FATAL) only when nothing more specific
    // explains the failure: the first one that is not a recursive make's echo.
    if (!this.found.some((f) => f.d.severity === 'error')) {
      const first = this.deferred.find((f) => f.d.kind !== 'make-error' || !isMakeCascade(f.d.message)) ?? this.deferred[0];
      if (first !== undefined) this.found.push(first);
    }
    if (!this.content) {
      const d = emptyLogDraft();
      this.found.push({ d: { ...d, fingerprint: defaultFingerprint(d, []) }, seq: 0 });
    }
    return this.found
      .sort((a, b) => a.seq - b.seq)
      .map((f) => ({ diagnostic: f.d, logLine: f.seq + 1, original: this.origin.get(f.seq) ?? '' }));
  }

  /** Record a draft; the draft object itself becomes the diagnostic, so a unit may still extend it (grouping). */
  private accept(unit: KindUnit, d: Draft, seq: number, fallback = false): void {
    const fp = (unit.fingerprint ?? defaultFingerprint)(d, this.roots);
    const diag: Diagnostic = Object.assign(d, { fingerprint: fp });
    if (fallback) {
      if (this.deferredSeen.has(fp) || this.deferred.length >= MAX_DEFERRED) {
        this.origin.delete(seq);
        return;
      }
      this.deferredSeen.add(fp);
      this.deferred.push({ d: diag, seq });
      return;
    }
    if (this.seen.has(fp)) {
      this.origin.delete(seq);
      return;
    }
    this.seen.add(fp);
    this.found.push({ d: diag, seq });
  }

  private learnRoot(line: string): void {
    const dir = ENTERING.exec(line)?.groups?.dir;
    if (dir === undefined || this.learnt.has(dir) || this.learnt.size >= MAX_LEARNT_ROOTS) return;
    this.learnt.add(dir);
    this.roots = normaliseRoots([...this.roots, dir]);
  }
}
