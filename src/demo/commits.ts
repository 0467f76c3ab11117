import { git } from '../workspace/git.js';

/** A commit the demo builds, with why. */
export interface DemoCommit {
  sha: string;
  label: string;
}

/** Subjects (stable; `git log --grep` finds them) of the commits that tell the story. */
export const INTERESTING: readonly { label: string; grep: string }[] = [
  { label: 'zram-break', grep: '^zram: rename same_pages stat to same_filled_pages$' },
  { label: 'zram-fix', grep: '^zram: fix build error' },
  { label: 'pgtable-mapping', grep: '^zsmalloc: add page table mapping method$' },
  { label: '2013-fix', grep: '^zsmalloc: use flush_tlb_kernel_range$' },
  { label: 'real-fix', grep: '^zsmalloc: only use page table mapping when built in$' },
];

/** First commit (oldest) whose subject matches an extended regex, or null. */
export async function findCommit(tree: string, grep: string): Promise<string | null> {
  const out = await git(tree, ['log', '--reverse', '--format=%H', '-E', `--grep=${grep}`]);
  return out.split('\n').find(Boolean) ?? null;
}

/** Baseline, the interesting commits and the tip of the replay tree, oldest first. */
export async function demoCommits(tree: string): Promise<DemoCommit[]> {
  const baseline = (await git(tree, ['rev-list', '--max-parents=0', 'HEAD'])).split('\n')[0] ?? '';
  const out: DemoCommit[] = [{ sha: baseline, label: 'baseline' }];
  for (const i of INTERESTING) {
    const sha = await findCommit(tree, i.grep);
    if (sha) out.push({ sha, label: i.label });
  }
  out.push({ sha: await git(tree, ['rev-parse', 'HEAD']), label: 'tip' });
  return out.filter((c, i) => out.findIndex((x) => x.sha === c.sha) === i);
}
