/** `kmatrix ci github|gitlab|kubernetes --shards N`: write (or --check) a sharded CI configuration. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { renderCi } from '../ci/index.js';
import { kmatrixSource, sha512Hex, type KmatrixSource } from '../ci/install.js';
import { DEFAULT_OUTPUT, ENGINES, SHARD_LIMITS, type CiOptions, type Engine } from '../ci/options.js';
import { InputError } from '../errors.js';
import { loadMatrix } from '../matrix/load.js';
import { currentPackages } from '../runtime/image.js';
import { checkInputFile, checkOutputPath, makeParents, removeMadeDirs } from '../output-path.js';
import { shq } from '../report/reproducer.js';
import { TOOL_VERSION } from '../version.js';

/** Largest CI file --check reads (a generated file is a few kB; a device or a huge file is refused, not read). */
const MAX_CI_FILE = 4 * 1024 * 1024;
import { CODES, emit, type CommandResult } from './command.js';

/** Flags of `kmatrix ci`. */
export interface CiFlags {
  /** As given on the command line (validated against the engine's limit). */
  shards: number | string;
  output?: string;
  check?: boolean;
  runner: 'hosted' | 'self-hosted';
  matrix?: string;
  kmatrix?: string;
  kmatrixIntegrity?: string;
  kmatrixImage?: string;
  image: string;
  repo?: string;
  ref: string;
}

/** Parse --shards for an engine, refusing counts past the engine's limit. */
export function shardCount(engine: Engine, value: string): number {
  const n = Number(value);
  const max = SHARD_LIMITS[engine];
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new InputError('--shards', null, null, `${engine} runs 1..${max} shards${engine === 'github' ? ' (a matrix has at most 256 jobs)' : engine === 'gitlab' ? ' (parallel: 1..200)' : ''}, got '${value}'`);
  }
  return n;
}

/** The canonical command line that regenerates a configuration (non-default options only), each value quoted for sh. */
function commandLine(engine: Engine, f: CiFlags): string {
  const parts = ['kmatrix ci', engine, `--shards ${f.shards}`];
  if (f.runner !== 'hosted') parts.push(`--runner ${f.runner}`);
  if (f.matrix) parts.push(`--matrix ${shq(f.matrix)}`);
  if (f.kmatrix) parts.push(`--kmatrix ${shq(f.kmatrix)}`);
  if (f.kmatrixIntegrity) parts.push(`--kmatrix-integrity ${shq(f.kmatrixIntegrity)}`);
  if (f.kmatrixImage) parts.push(`--kmatrix-image ${shq(f.kmatrixImage)}`);
  if (engine !== 'github' && f.image !== DEFAULT_JOB_IMAGE) parts.push(`--image ${shq(f.image)}`);
  if (engine === 'kubernetes') parts.push(`--repo ${shq(f.repo ?? '')}`, `--ref ${shq(f.ref)}`);
  if (f.output && f.output !== '-' && f.output !== DEFAULT_OUTPUT[engine]) parts.push(`-o ${shq(f.output)}`);
  return parts.join(' ');
}

/**
 * Refuse a control character in any value the file carries: a newline adds YAML keys to the generated file and lines to
 * its header, and so do C1's NEL (U+0085) and U+2028/U+2029, which YAML 1.1 parsers (PyYAML, go-yaml in kubectl) break lines at.
 */
function plainValues(f: CiFlags): void {
  const values: [string, string | undefined][] = [
    ['--matrix', f.matrix],
    ['--kmatrix', f.kmatrix],
    ['--kmatrix-integrity', f.kmatrixIntegrity],
    ['--kmatrix-image', f.kmatrixImage],
    ['--image', f.image],
    ['--repo', f.repo],
    ['--ref', f.ref],
    ['-o', f.output],
  ];
  for (const [flag, v] of values) {
    const at = v === undefined ? -1 : v.search(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    if (at >= 0) throw new InputError(flag, null, null, `contains a control character (U+${v!.charCodeAt(at).toString(16).padStart(4, '0').toUpperCase()} at offset ${at}): refusing to write it into a CI file`);
  }
}

/** Job image of GitLab and Kubernetes jobs: Node 20 on bookworm, the build image's Debian suite. */
export const DEFAULT_JOB_IMAGE = 'node:20-bookworm';

/** Run `kmatrix ci`: write the file (or `-`: stdout), or with --check compare it. */
export function ciCommand(engineArg: string, f: CiFlags): CommandResult {
  if (!(ENGINES as readonly string[]).includes(engineArg)) throw new InputError('engine', null, null, `'${engineArg}' is not one of ${ENGINES.join(', ')}`);
  const engine = engineArg as Engine;
  const shards = shardCount(engine, String(f.shards));
  plainValues(f);
  if (f.matrix) loadMatrix(resolve(f.matrix));
  if (engine === 'kubernetes' && !f.repo) throw new InputError('--repo', null, null, 'kubernetes pods clone the kernel tree: give its git URL with --repo');
  const o: CiOptions = {
    engine,
    shards,
    matrix: f.matrix ?? null,
    kmatrix: installSource(f),
    runner: f.runner,
    packages: currentPackages().packages,
    image: f.image,
    repo: f.repo ?? '',
    ref: f.ref,
    command: commandLine(engine, { ...f, shards }),
  };
  const text = renderCi(o, TOOL_VERSION);
  const out = f.output ?? DEFAULT_OUTPUT[engine];
  if (f.check) {
    if (out === '-') throw new InputError('--check', null, null, 'needs a file, not -o -');
    if (existsSync(out)) checkInputFile('-o', out, MAX_CI_FILE);
    const have = existsSync(out) ? readFileSync(out, 'utf8') : null;
    if (have === text) return { code: CODES.OK, stdout: `${out}: up to date\n`, stderr: '' };
    const why = have === null ? 'does not exist' : `differs from what \`${o.command}\` generates (first difference at line ${firstDiff(have, text)})`;
    return { code: CODES.FAIL, stdout: '', stderr: `kmatrix: ${out} ${why}; regenerate it with: ${o.command}\n` };
  }
  if (out === '-') return { code: CODES.OK, stdout: text, stderr: '' };
  checkOutputPath('-o', out);
  const made = makeParents('-o', out);
  try {
    writeFileSync(out, text);
  } catch (e) {
    // access() says yes to root where the file system still refuses (sysfs, a read-only mount): a usage error, nothing left.
    removeMadeDirs(made);
    throw new InputError('-o', null, null, `${resolve(out)}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { code: CODES.OK, stdout: '', stderr: `kmatrix: wrote ${out} (${engine}, ${shards} shard(s))\n` };
}

/**
 * The install source of the flags. A tarball path that exists here (a file committed beside the pipeline) is
 * hashed: without --kmatrix-integrity its sha512 is written into the file (and --check notices when it changes),
 * with it the two must agree.
 */
function installSource(f: CiFlags): KmatrixSource {
  const spec = f.kmatrix;
  const local = spec !== undefined && /\.(tgz|tar\.gz)$/.test(spec) && !/^[a-z+]+:/.test(spec) && existsSync(spec) && statSync(spec).isFile();
  if (!local) return kmatrixSource(spec, f.kmatrixIntegrity, f.kmatrixImage);
  const have = createHash('sha512').update(readFileSync(spec)).digest('hex');
  if (f.kmatrixIntegrity !== undefined && sha512Hex(f.kmatrixIntegrity) !== have) {
    throw new InputError('--kmatrix-integrity', null, null, `does not match ${spec} (its sha512 is ${have})`);
  }
  return kmatrixSource(spec, f.kmatrixIntegrity ?? have, f.kmatrixImage);
}

/** 1-based number of the first line where two texts differ. */
function firstDiff(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

/** Register `kmatrix ci`. */
export function registerCiCommand(program: Command): void {
  program
    .command('ci')
    .description('write a sharded CI configuration: GitHub Actions workflow, GitLab CI pipeline or Kubernetes Jobs; --check compares')
    .argument('<engine>', ENGINES.join(' | '))
    .requiredOption('--shards <n>', 'number of shards (GitHub ≤ 256, GitLab ≤ 200)')
    .option('-o, --output <file>', `where to write (default: ${Object.entries(DEFAULT_OUTPUT).map(([e, p]) => `${e} ${p}`).join(', ')}; - for stdout)`)
    .option('--check', 'exit 1 when the file differs from what would be generated (for a lint job)')
    .addOption(new Option('--runner <kind>', 'hosted: build image from docker/ (GitHub) or the job image + packages; self-hosted: the machine toolchain, shards pinned to runners').choices(['hosted', 'self-hosted']).default('hosted'))
    .option('--matrix <file>', 'matrix file, relative to the kernel repository (default: kmatrix\'s default matrix)')
    .option('--kmatrix <source>', 'where jobs get kmatrix: a tarball made by `npm pack` (path in the repository or URL) or registry name@x.y.z, both with their sha512; or git+https://…#<full commit id>')
    .option('--kmatrix-integrity <sha512>', "the tarball's sha512 (npm's sha512-<base64> or sha512sum's hex); computed for a tarball path that exists here")
    .option('--kmatrix-image <image@digest>', 'a job image by digest that already holds kmatrix and the toolchains (no install step)')
    .option('--image <image>', 'job image for GitLab and Kubernetes', DEFAULT_JOB_IMAGE)
    .option('--repo <url>', 'kubernetes: git URL of the kernel tree the pods clone')
    .option('--ref <rev>', 'kubernetes: revision to build (pin a commit so every pod builds the same one)', 'master')
    .action((engine: string, f: CiFlags) => emit(ciCommand(engine, f)));
}
