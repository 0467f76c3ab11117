/** Checks a command makes before it writes anything (store, logs, worktrees): bad input is exit 2 with nothing written. */
import { assertKernelTree, commonGitDir, resolveRevisions } from '../workspace/git.js';
import { srcArch } from '../matrix/support.js';
import type { Cell } from '../matrix/load.js';
import { checkStorePath } from '../store/db.js';

/** The tree is a git repository, each revision resolves, every commit is a kernel tree for the cells' arches, the store path is usable. Returns the shas. */
export async function preflight(o: { tree: string; revs: string[]; cells: readonly Cell[]; dbPath: string }): Promise<string[]> {
  await commonGitDir(o.tree);
  const shas = await resolveRevisions(o.tree, o.revs);
  await checkKernelCommits(o.tree, shas, o.cells);
  checkStorePath(o.dbPath);
  return shas;
}

/** Every commit is a kernel tree for each arch the cells build. */
export async function checkKernelCommits(tree: string, shas: readonly string[], cells: readonly Cell[]): Promise<void> {
  for (const arch of new Set(cells.map((c) => srcArch(c.arch)))) await assertKernelTree(tree, shas, arch);
}
