import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { npmCacheWithPrebuild, packCheckout } from '../helpers/pack.js';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';
import { storeResults } from '../helpers/store.js';

/**
 * Issue 21: the GitLab pipeline `kmatrix ci gitlab` writes, run for real by gitlab-ci-local (pinned devDependency,
 * shell executor, `--shell-isolation` so every job gets its own copy of the project and artifacts and caches move
 * between jobs as on GitLab), three pipelines in a row on the replay tree:
 *   A  the commit before "zsmalloc: add page table mapping method": every cell PASS, first nightly (no baseline);
 *   B  that commit: UP and SMP FAIL at modpost; the pipeline is red, the cells are named, and the nightly
 *      compares against A (its merged store came back through the pipeline's `cache:`); its merged verdicts equal
 *      an unsharded run of the same commit;
 *   C  the next commit, with the shard holding UP killed (SIGKILL) as `kmatrix run` starts: its cells are
 *      MISSING in merge and not built in the nightly, never PASS.
 *
 * The file is generated as a user would (`--runner self-hosted`: a shell runner, `--runtime host` builds with the
 * machine's arm-linux-gnueabi-gcc, the same line as in a hosted job image), and kmatrix is installed as the file
 * says: `npm pack` of this checkout, its sha512 checked by the job, installed into a per-job prefix.
 *
 * Cheap and honest, like a real self-hosted runner: the project is a `git worktree add --no-checkout` of the replay
 * tree (its git common dir is the replay tree's, so kmatrix's worktree and warm host build dirs under the suite's
 * kmatrix cache, and ccache, are the ones the other tests use: a runner's machine cache kept between pipelines;
 * --no-checkout keeps gitlab-ci-local from copying 1.5 GB per job). Every job's npm install runs unchanged
 * (dependencies from the registry); the one stand-in is better-sqlite3's prebuilt binding, which its install
 * script would download from GitHub (unreachable here): it is found in the npm cache (`npmCacheWithPrebuild`).
 * Warm, each pipeline takes ~1.5 min (npm installs ~30 s, incremental builds of one commit).
 */
const GCL = join(ROOT, 'node_modules/.bin/gitlab-ci-local');

describe('kmatrix ci gitlab: the generated pipeline run end to end (gitlab-ci-local, shell executor)', () => {
  let tree: string;
  let tmp: string;
  let project: string;
  let npmCache: string;
  const sha: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
  let plan: { shard: string; cells: string[] }[];

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha.B = r.commits.get('pgtable-mapping')!.sha;
    sha.A = execFileSync('git', ['-C', tree, 'rev-parse', `${sha.B}~1`], { encoding: 'utf8' }).trim();
    sha.C = execFileSync('git', ['-C', tree, 'rev-list', '--reverse', `${sha.B}..HEAD`], { encoding: 'utf8' }).split('\n')[0]!;
    tmp = tempDir('kmatrix-ci-gitlab-');
    const pack = packCheckout(tmp);
    npmCache = npmCacheWithPrebuild(join(tmp, 'npm-cache'));
    project = join(tmp, 'project');
    execFileSync('git', ['-C', tree, 'worktree', 'add', '--quiet', '--no-checkout', '--detach', project, sha.A]);
    const gen = cli(['ci', 'gitlab', '--shards', '3', '--runner', 'self-hosted', '--kmatrix', pack.tarball, '-o', join(project, '.gitlab-ci.yml')]);
    expect(gen.code, gen.stderr).toBe(0);
    expect(readFileSync(join(project, '.gitlab-ci.yml'), 'utf8')).toContain(`KMATRIX_SHA512: ${Buffer.from(pack.integrity.slice(7), 'base64').toString('hex')}`);
    plan = (JSON.parse(cli(['shards', '--shards', '3', '--json']).stdout) as { shards: { shard: string; cells: string[] }[] }).shards;
  }, 900_000);

  afterAll(() => {
    if (project && existsSync(project)) execFileSync('git', ['-C', tree, 'worktree', 'remove', '--force', project]);
  });

  /** Run the whole pipeline at `rev`; the jobs' results as gitlab-ci-local's summary prints them. */
  function pipeline(rev: string, variables: string[] = []) {
    execFileSync('git', ['-C', project, 'update-ref', '--no-deref', 'HEAD', rev]);
    const t0 = Date.now();
    const r = spawnSync(GCL, ['--shell-isolation', '--no-artifacts-to-source', '--no-color', ...variables.flatMap((v) => ['--variable', v])], {
      cwd: project,
      env: { ...process.env, npm_config_cache: npmCache, npm_config_update_notifier: 'false' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const log = r.stdout + r.stderr;
    writeFileSync(join(tmp, `pipeline-${rev.slice(0, 12)}.log`), log);
    const jobs = new Map([...log.matchAll(/^ (PASS|FAIL|WARN) +(kmatrix-[^\s:]+(?:: \[\d+\/\d+\])?)\s*$/gm)].map((m) => [m[2]!, m[1]!]));
    const artifacts = join(project, '.gitlab-ci-local', 'artifacts');
    return { code: r.status, log, jobs, seconds: (Date.now() - t0) / 1000, report: join(artifacts, 'kmatrix-merge', 'kmatrix-report') };
  }

  /** The shard store job I exported as its artifact (null when it left none). */
  const shardStore = (i: number) => {
    const dir = join(project, '.gitlab-ci-local', 'artifacts');
    const job = readdirSync(dir).find((d) => d.startsWith('kmatrix-shard') && existsSync(join(dir, d, 'kmatrix-shard', `shard-${i}`, 'kmatrix.db')));
    return job ? join(dir, job, 'kmatrix-shard', `shard-${i}`, 'kmatrix.db') : null;
  };
  /** The merged store the merge job left in the pipeline cache (what the next pipeline starts from). */
  const cachedStore = () => join(project, '.gitlab-ci-local', 'cache', 'kmatrix-results', 'kmatrix-results', 'kmatrix.db');
  /** nightly.json of a report, its cells by name. */
  const nightly = (report: string) => {
    const n = JSON.parse(readFileSync(join(report, 'nightly.json'), 'utf8')) as { sha: string; baseline: string | null; exitCode: number; cells: { cell: string; status: string; transition: string; reason: string }[] };
    return { ...n, cells: [...n.cells].sort((a, b) => a.cell.localeCompare(b.cell)) };
  };

  it('A: three shard jobs each build only their cells, the merge job merges and publishes the nightly, JUnit and HTML', () => {
    const p = pipeline(sha.A);
    expect(p.code, p.log.slice(-4000)).toBe(0);
    expect([...p.jobs.entries()].sort()).toEqual([
      ['kmatrix-merge', 'PASS'],
      ['kmatrix-shard: [1/3]', 'PASS'],
      ['kmatrix-shard: [2/3]', 'PASS'],
      ['kmatrix-shard: [3/3]', 'PASS'],
    ]);
    for (const [i, s] of plan.entries()) {
      const store = shardStore(i + 1);
      expect(store, `shard ${i + 1}`).not.toBeNull();
      expect(storeResults(store!).map((b) => b.cell), `shard ${i + 1}`).toEqual([...s.cells].sort());
    }
    expect(p.log).toMatch(/kmatrix-merge +> .*: [1-9]\d* build\(s\) added/);
    for (const f of ['nightly.json', 'junit.xml', 'kmatrix.html', 'summary.md']) expect(existsSync(join(p.report, f)), f).toBe(true);
    const n = nightly(p.report);
    expect(n.sha).toBe(sha.A);
    expect(n.cells.map((c) => [c.cell, c.status])).toEqual([
      ['virt-v7/SMP', 'PASS'],
      ['virt-v7/UP', 'PASS'],
      ['virt-v7/UP-on-SMP', 'PASS'],
    ]);
    expect(readFileSync(join(p.report, 'junit.xml'), 'utf8')).toMatch(/<testsuite[^>]* failures="0"/);
    process.stderr.write(`ci-gitlab: pipeline A ${p.seconds.toFixed(0)} s\n`);
  }, 1_800_000);

  it('B: a shard whose build fails makes the pipeline red with the cell named; the nightly compares with A; merged = unsharded', () => {
    const p = pipeline(sha.B);
    expect(p.code).not.toBe(0);
    const failing = ['virt-v7/SMP', 'virt-v7/UP'];
    for (const [i, s] of plan.entries()) {
      expect(p.jobs.get(`kmatrix-shard: [${i + 1}/3]`), `shard ${i + 1}: ${s.cells.join(', ')}`).toBe(s.cells.some((c) => failing.includes(c)) ? 'FAIL' : 'PASS');
    }
    expect(p.jobs.get('kmatrix-merge')).toBe('FAIL');
    const n = nightly(p.report);
    // The second nightly found the first one's results in the pipeline cache and compared against them.
    expect(n.baseline).toBe(sha.A);
    expect(n.cells.map((c) => [c.cell, c.status, c.transition])).toEqual([
      ['virt-v7/SMP', 'FAIL', 'regression'],
      ['virt-v7/UP', 'FAIL', 'regression'],
      ['virt-v7/UP-on-SMP', 'PASS', 'still-passing'],
    ]);
    for (const c of failing) expect(p.log).toMatch(new RegExp(`kmatrix-merge +> .*${c.replace('/', '\\/')}.*(FAIL|regression)`));
    expect(readFileSync(join(p.report, 'junit.xml'), 'utf8')).toMatch(/<testsuite[^>]* failures="2"/);
    // The same commit unsharded (same runtime, same warm dirs): the same verdicts and fingerprints.
    const one = join(tmp, 'unsharded.db');
    const u = cli(['run', sha.B, '--tree', tree, '--runtime', 'host', '--db', one]);
    expect(u.code, u.stderr).toBe(1);
    const strip = (rows: ReturnType<typeof storeResults>) => rows.map(({ sha: s, cell, hash, status, stage, exitCode, toolchain, fps }) => ({ s, cell, hash, status, stage, exitCode, toolchain, fps }));
    expect(strip(storeResults(cachedStore(), sha.B))).toEqual(strip(storeResults(one)));
    process.stderr.write(`ci-gitlab: pipeline B ${p.seconds.toFixed(0)} s\n`);
  }, 1_800_000);

  it('C: a shard that dies before recording leaves its cells MISSING, never PASS', () => {
    const victim = plan.findIndex((s) => s.cells.includes('virt-v7/UP')) + 1;
    const lost = plan[victim - 1]!.cells;
    // The shard's kmatrix process is SIGKILLed as it starts (a preload only that shard's `kmatrix run` acts on):
    // what a runner that dies mid-job leaves.
    const die = join(tmp, 'die.cjs');
    writeFileSync(die, "if (process.env.CI_NODE_INDEX === process.env.KMATRIX_TEST_DIE_SHARD && /kmatrix(\\.js)?$/.test(process.argv[1] || '') && process.argv.includes('run')) process.kill(process.pid, 'SIGKILL');\n");
    const p = pipeline(sha.C, [`NODE_OPTIONS=--require=${die}`, `KMATRIX_TEST_DIE_SHARD=${victim}`]);
    expect(p.code).not.toBe(0);
    expect(p.jobs.get(`kmatrix-shard: [${victim}/3]`)).toBe('FAIL');
    expect(p.jobs.get('kmatrix-merge')).toBe('FAIL');
    expect(p.log).toMatch(new RegExp(`kmatrix-merge +> MISSING ${sha.C.slice(0, 12)}: ${lost.join(', ')}`));
    const n = nightly(p.report);
    expect(n.exitCode).toBe(3);
    for (const c of lost) {
      const row = n.cells.find((x) => x.cell === c)!;
      expect(row.status, c).not.toBe('PASS');
      expect(row.transition, c).toBe('not-comparable');
      expect(readFileSync(join(p.report, 'junit.xml'), 'utf8')).toContain(`name="${c}" time="0.000">\n      <skipped message="not built"/>`);
    }
    process.stderr.write(`ci-gitlab: pipeline C ${p.seconds.toFixed(0)} s\n`);
  }, 1_800_000);

  /**
   * The GitHub workflow's own shell steps, run by bash as the runner runs them (`bash -e`, the workflow's `env`,
   * GITHUB_SHA, GITHUB_PATH, GITHUB_STEP_SUMMARY, `${{ matrix.shard }}` substituted), each job in its own checkout
   * (a `--no-checkout` worktree at the commit, as in the GitLab pipeline). What is GitHub's own is stood in for by
   * copies: checkout, setup-node, upload/download-artifact and cache. The install step runs in the first job; the
   * others put the same prefix on PATH (each job's install is what the GitLab jobs and the unit tests run).
   */
  it('GitHub: the shard and merge steps, run with the workflow environment, merge to the same verdicts', () => {
    const wfFile = join(tmp, 'kmatrix.yml');
    const gen = cli(['ci', 'github', '--shards', '3', '--runner', 'self-hosted', '--kmatrix', readFileSync(join(project, '.gitlab-ci.yml'), 'utf8').match(/KMATRIX_PACKAGE: (\S+)/)![1]!, '-o', wfFile]);
    expect(gen.code, gen.stderr).toBe(0);
    const wf = parse(readFileSync(wfFile, 'utf8')) as { env: Record<string, string>; jobs: Record<string, { steps: { name?: string; run?: string; uses?: string }[] }> };
    const gh = join(tmp, 'github');
    const artifacts = join(gh, 'artifacts');
    let path = '';
    const job = (name: string, shard: number | null, before: (dir: string) => void, after: (dir: string) => void) => {
      const dir = join(gh, `${name}-${shard ?? 0}`);
      execFileSync('git', ['-C', tree, 'worktree', 'add', '--quiet', '--no-checkout', '--detach', dir, sha.B]);
      try {
        before(dir);
        const env = { ...process.env, ...wf.env, GITHUB_SHA: sha.B, GITHUB_PATH: join(dir, '.github-path'), GITHUB_STEP_SUMMARY: join(gh, `summary-${name}.md`), npm_config_cache: npmCache };
        const codes: number[] = [];
        for (const step of wf.jobs[name]!.steps.filter((s) => s.run !== undefined)) {
          if (/install kmatrix/.test(step.name ?? '') && path) continue;
          const script = step.run!.replaceAll('${{ matrix.shard }}', String(shard));
          const r = spawnSync('bash', ['-e', '-c', script], { cwd: dir, env: { ...env, PATH: path ? `${path}:${process.env['PATH']}` : process.env['PATH'] }, encoding: 'utf8' });
          codes.push(r.status ?? -1);
          if (existsSync(env.GITHUB_PATH)) path = readFileSync(env.GITHUB_PATH, 'utf8').trim().split('\n').reverse().join(':');
          if (r.status !== 0 && !/nightly|merge/.test(step.name ?? '')) break;
        }
        after(dir);
        return codes;
      } finally {
        execFileSync('git', ['-C', tree, 'worktree', 'remove', '--force', dir]);
      }
    };
    const failing = ['virt-v7/SMP', 'virt-v7/UP'];
    for (const [i, s] of plan.entries()) {
      const codes = job('shard', i + 1, () => {}, (dir) => cpSync(join(dir, 'kmatrix-shard'), artifacts, { recursive: true }));
      // install, doctor, build: the build step exits 1 when the shard holds a failing cell
      expect(codes.at(-1), `shard ${i + 1}`).toBe(s.cells.some((c) => failing.includes(c)) ? 1 : 0);
    }
    let report = '';
    const codes = job(
      'merge',
      null,
      (dir) => cpSync(artifacts, join(dir, 'kmatrix-shard'), { recursive: true }),
      (dir) => {
        report = join(gh, 'report');
        mkdirSync(report);
        cpSync(join(dir, 'kmatrix-report'), report, { recursive: true });
      },
    );
    const n = nightly(report);
    // merge, nightly (never 0 with FAIL cells; its own exit code is in its JSON), summary
    expect(codes).toEqual([0, n.exitCode, 0]);
    expect(n.exitCode).not.toBe(0);
    expect(n.sha).toBe(sha.B);
    expect(n.cells.map((c) => [c.cell, c.status])).toEqual([
      ['virt-v7/SMP', 'FAIL'],
      ['virt-v7/UP', 'FAIL'],
      ['virt-v7/UP-on-SMP', 'PASS'],
    ]);
    expect(readFileSync(join(gh, 'summary-merge.md'), 'utf8')).toMatch(/virt-v7\/UP/);
  }, 1_800_000);
});
