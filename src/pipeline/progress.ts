/** The progress display of a run (listr2): it listens to the run's events and keeps only what it shows. */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { Cell } from '../matrix/load.js';
import type { CommitInfo } from '../types.js';
import type { CommitState, RunBuild, RunEvent, RunOptions } from './run-types.js';
import { stageSecs, stageSummary } from '../stage-text.js';

/** A run's display: feed it the run's events, close it when the run ends (`stopped`: the run did not reach every commit). */
export interface RunDisplay {
  on(e: RunEvent): void;
  close(stopped: boolean): Promise<void>;
}

/** Format seconds for progress lines. */
function secs(s: number): string {
  return s < 60 ? `${s.toFixed(1)}s` : stageSecs(s);
}

/** A build's progress line: status, time or `(cached)`, its stages and its first error. */
export function buildLine(r: RunBuild): string {
  const first = r.diagnostics.find((d) => d.severity === 'error');
  const stages = r.cached ? '' : stageSummary(r.stages, r.ccache);
  return `${r.cell.name}: ${r.status} ${r.cached ? '(cached)' : secs(r.seconds)}${stages ? ` (${stages})` : ''}${first ? ` — ${first.message}` : ''}`;
}

/** A commit's progress line in a state. */
export function commitLine(commit: CommitInfo, s: CommitState): string {
  const head = `${commit.sha.slice(0, 12)} ${commit.subject}`;
  switch (s.state) {
    case 'cached':
      return `${head} (${s.cached} cached)`;
    case 'checkout':
      return `${head} (checkout)`;
    case 'waiting':
      return `${head} (waiting for process ${s.pid}, building in this tree)`;
    case 'cached-meanwhile':
      return `${head} (${s.cached} cached, built meanwhile by another kmatrix)`;
    case 'checkout-failed':
      return `${head}: ERROR (checkout failed)`;
    case 'building':
      return `${head}${s.cached ? ` (${s.cached} cached)` : ''}`;
  }
}

/** A promise with its resolver. */
function later<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A line of the display: its text now, and the listr2 task showing it once that task runs. */
interface Line {
  title: string;
  task?: { title: string };
}

/** Set a line's text (shown at once if its task runs, else when it starts). */
function setTitle(l: Line, title: string): void {
  l.title = title;
  if (l.task) l.task.title = title;
}

/** One cell's line: ticking with the elapsed time of its current stage until it ends. */
interface CellLine extends Line {
  t0?: number;
  stage?: string;
  tick?: ReturnType<typeof setInterval>;
  ended: ReturnType<typeof later<void>>;
}

/** One commit's line, and the cells it builds once it knows them (null: none, or the run stopped first). */
interface CommitLine extends Line {
  building: ReturnType<typeof later<Cell[] | null>>;
  cells: Map<string, CellLine>;
}

/** The listr2 tasks of the display: each commit's task shows its line and, once it builds, one subtask per cell until it ends. */
function displayTasks(commits: readonly CommitInfo[], lines: Map<string, CommitLine>, progress: RunOptions['progress'], plain: boolean): Listr<unknown> {
  const out = new ProcessOutput(process.stderr, process.stderr);
  return new Listr(
    commits.map((commit) => {
      const l = lines.get(commit.sha)!;
      return {
        title: l.title,
        task: async (_: unknown, task: { title: string }) => {
          l.task = task;
          task.title = l.title;
          const cells = await l.building.promise;
          if (cells === null) throw new Error('interrupted');
          if (cells.length === 0) return;
          return new Listr(
            cells.map((cell) => {
              const c = l.cells.get(cell.name)!;
              return {
                title: c.title,
                task: async (_c: unknown, sub: { title: string }) => {
                  c.task = sub;
                  sub.title = c.title;
                  await c.ended.promise;
                },
              };
            }),
            // registerSignalListeners: a Listr made inside a task is a root Listr of its own; by default it
            // takes SIGINT and calls process.exit(127), bypassing interruptible().
            { concurrent: true, exitOnError: false, registerSignalListeners: false },
          );
        },
      };
    }),
    {
      concurrent: false,
      exitOnError: true,
      registerSignalListeners: false,
      renderer: progress === 'silent' ? 'silent' : 'default',
      rendererOptions: { processOutput: out },
      fallbackRenderer: 'simple',
      fallbackRendererOptions: { logger: new ListrLogger({ processOutput: out }) },
      fallbackRendererCondition: plain,
    } as never,
  );
}

/**
 * The listr2 display of a run: one line per commit, one per cell it builds. On a TTY the default renderer, plain
 * lines otherwise or when CI=true (plain mode also prints the lock-waiting message as a line); `silent` for tests.
 */
export function runDisplay(commits: readonly CommitInfo[], progress: RunOptions['progress']): RunDisplay {
  const plain = progress === 'plain' || !process.stderr.isTTY || process.env['CI'] === 'true';
  const lines = new Map<string, CommitLine>(commits.map((c) => [c.sha, { title: `${c.sha.slice(0, 12)} ${c.subject}`, building: later(), cells: new Map() }]));
  const endCell = (c: CellLine, title?: string) => {
    if (c.tick) clearInterval(c.tick);
    if (title) setTitle(c, title);
    c.ended.resolve();
  };
  const showCell = (c: CellLine, name: string) => setTitle(c, `${name}: ${c.stage} ${secs((Date.now() - c.t0!) / 1000)}`);
  const running = displayTasks(commits, lines, progress, plain).run().catch(() => undefined);
  return {
    on(e) {
      const l = lines.get(e.commit.sha)!;
      if (e.kind === 'commit') {
        setTitle(l, commitLine(e.commit, e));
        if (e.state === 'waiting' && plain) process.stderr.write(`kmatrix: ${e.commit.sha.slice(0, 12)}: waiting for process ${e.pid}, building in this tree\n`);
        if (e.state === 'building') {
          for (const cell of e.cells) l.cells.set(cell.name, { title: `${cell.name}: queued`, ended: later() });
          l.building.resolve(e.cells);
        }
      } else if (e.kind === 'cell') {
        const c = l.cells.get(e.cell.name)!;
        c.stage = e.stage;
        if (c.t0 === undefined) {
          c.t0 = Date.now();
          c.tick = setInterval(() => showCell(c, e.cell.name), 1000);
        } else showCell(c, e.cell.name);
      } else if (e.kind === 'built') endCell(l.cells.get(e.cell.name)!, buildLine(e.build));
      else if (e.kind === 'dropped') endCell(l.cells.get(e.cell.name)!);
      else {
        for (const c of l.cells.values()) endCell(c);
        l.building.resolve([]);
      }
    },
    async close(stopped) {
      for (const l of lines.values()) {
        for (const c of l.cells.values()) endCell(c);
        l.building.resolve(stopped ? null : []);
      }
      await running;
    },
  };
}
