/** The contract of one diagnostic-kind unit: recognise a line, parse it, fingerprint it. */
import type { BuildStage, Diagnostic, DiagnosticKind, Severity } from '../types.js';
import { fingerprint } from '../fingerprint.js';
import { relativePath } from '../tree-paths.js';

/** A diagnostic before it is fingerprinted. */
export type Draft = Omit<Diagnostic, 'fingerprint'>;

/** What a unit sees besides the line itself. */
export interface LineContext {
  /** Normalised known roots (source tree, O= dir, dirs make entered). */
  readonly roots: readonly string[];
  /** Previous lines, oldest first, bounded (a small look-back buffer). */
  readonly recent: readonly string[];
  /** Path relative to the kernel source tree. */
  rel(path: string): string;
}

/** Lets a draft absorb the following lines (e.g. ld.lld's `>>> referenced by`); true = complete. */
export interface Follow {
  maxLines: number;
  next(line: string, draft: Draft, ctx: LineContext): boolean;
}

/** A recognised line; a null draft means "consumed, nothing to report" (e.g. a summary line). */
export interface Hit {
  draft: Draft | null;
  follow?: Follow;
  /**
   * A summary line that fails the build but names no cause (make's `*** ... Error 1`, `cc1: all
   * warnings being treated as errors`, dtc's `FATAL ERROR:`): reported only when no other error is.
   */
  fallback?: boolean;
}

/** One kind's recogniser; `S` is its private per-log state. */
export interface KindUnit<S = unknown> {
  /** The kind this unit produces. */
  kind: DiagnosticKind;
  /** The build stage that prints it; null for make's own lines, which any stage can cause. */
  stage: BuildStage | null;
  /** Whether it means the infrastructure failed, not the code (the build is ERROR). */
  infra: boolean;
  /** Fresh per-log state. */
  init(): S;
  /** Called for every line before matching (to track context such as gcc's "In function"). */
  observe?(line: string, state: S, ctx: LineContext): void;
  /** Recognise and parse one line; null if the line is not this unit's. */
  match(line: string, state: S, ctx: LineContext): Hit | null;
  /** At end of log: may adjust severities of what was found and return extra drafts. */
  finish?(state: S, found: Diagnostic[]): Draft[];
  /** Identity of a diagnostic; defaults to defaultFingerprint. */
  fingerprint?(d: Draft, roots: readonly string[]): string;
}

/** Erase a unit's state type so heterogeneous units fit in one list. */
export function defineUnit<S>(unit: KindUnit<S>): KindUnit<unknown> {
  return unit as unknown as KindUnit<unknown>;
}

/** The fingerprint every unit uses unless it overrides it. */
export function defaultFingerprint(d: Draft, roots: readonly string[]): string {
  return fingerprint(d, roots);
}

/** A draft with every optional field null. */
export function draft(
  kind: DiagnosticKind,
  severity: Severity,
  message: string,
  fields: Partial<Omit<Draft, 'kind' | 'severity' | 'message'>> = {},
): Draft {
  return {
    kind,
    severity,
    file: fields.file ?? null,
    line: fields.line ?? null,
    column: fields.column ?? null,
    symbol: fields.symbol ?? null,
    module: fields.module ?? null,
    message,
  };
}

/** Parse an integer field, null when absent. */
export function int(s: string | undefined): number | null {
  return s === undefined ? null : Number.parseInt(s, 10);
}

/** Relative path helper for units that only have roots. */
export function rel(path: string, roots: readonly string[]): string {
  return relativePath(path, roots);
}

/** Strip one layer of any quote style from a token. */
export function unquote(s: string): string {
  return s.replace(/^[`'‘"“]/, '').replace(/['’"”]$/, '');
}
