import { renderFragmentLine, type FragmentLine } from '../matrix/fragment.js';

/** Merge fragment lines into .config text like merge_config.sh: drop earlier settings of each symbol, append. */
export function applyFragment(dotconfig: string, fragment: FragmentLine[]): string {
  const syms = new Set(fragment.map((l) => l.symbol));
  const kept = dotconfig.split('\n').filter((line) => {
    const m = /^(?:# )?CONFIG_([A-Za-z0-9_]+)(?:=| is not set)/.exec(line);
    return !(m && syms.has(m[1] as string));
  });
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  const added = fragment.map(renderFragmentLine);
  return [...kept, ...added].join('\n') + '\n';
}
