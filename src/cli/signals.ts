/** Stop signals (Ctrl-C, kill, hang-up): abort the command's work cleanly, exit 3. */
/** Exit code of an interrupted command (CODES.INFRA in compare-common, which re-exports this module). */
const INTERRUPTED = 3;

/** The signals that stop kmatrix: Ctrl-C, `kill`, a closed terminal or SSH session. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Marks interruptible()'s listeners, so the process-wide fallback (guardSignals) knows a command handles the signal. */
const HANDLED = Symbol.for('kmatrix.interruptible');

/**
 * SIGINT / SIGTERM / SIGHUP → abort: builds in flight are stopped and recorded as interrupted (ERROR),
 * finished builds stay recorded, the command exits 3. A second signal exits 3 at once; the runtimes'
 * `exit` hooks still kill their process groups and remove their containers. Returns the signal and a disposer.
 */
export function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSig = Object.assign(
    (sig: NodeJS.Signals) => {
      if (ac.signal.aborted) {
        process.stderr.write(`\nkmatrix: ${sig} again: exiting now\n`);
        process.exit(INTERRUPTED);
      }
      process.stderr.write(`\nkmatrix: ${sig}: stopping builds (finished builds are recorded)\n`);
      ac.abort(sig);
    },
    { [HANDLED]: true },
  );
  for (const s of STOP_SIGNALS) process.on(s, onSig);
  return {
    signal: ac.signal,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSig);
    },
  };
}

/**
 * Process-wide fallback for phases no interruptible() covers: a stop signal exits 3 through process.exit,
 * so `exit` hooks (process groups, containers, temp dirs) run instead of Node's silent default death.
 */
export function guardSignals(): void {
  for (const s of STOP_SIGNALS) {
    process.on(s, (sig: NodeJS.Signals) => {
      if (process.listeners(sig).some((l) => (l as unknown as Record<symbol, unknown>)[HANDLED])) return;
      process.stderr.write(`\nkmatrix: ${sig}: exiting\n`);
      process.exit(INTERRUPTED);
    });
  }
}
