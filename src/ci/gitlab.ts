/** GitLab CI pipeline: `parallel: N` shard jobs, then a merge job that compares and publishes (pure). */
import { stringify } from 'yaml';
import { installLines, installVariables } from './install.js';
import { aptInstall, header, matrixArg, type CiOptions } from './options.js';

/** Render the GitLab CI file (include it from `.gitlab-ci.yml` with `include: local:`). */
export function gitlabPipeline(o: CiOptions, version: string): string {
  const variables: Record<string, string> = { ...installVariables(o.kmatrix), GIT_DEPTH: '1' };
  if (o.matrix) variables['KMATRIX_MATRIX'] = o.matrix;
  // The job's container is the build environment: the image's Debian suite plus docker/packages.txt (or an image
  // that already holds kmatrix and the toolchains), and kmatrix builds with `--runtime host` inside it.
  // Self-hosted (a shell runner tagged kmatrix): the machine's toolchain, and its kmatrix cache (~/.cache/kmatrix:
  // worktree, warm O= dirs, ccache) stays on the machine between pipelines.
  const hosted = o.runner === 'hosted';
  const image = o.kmatrix.kind === 'image' ? o.kmatrix.image : o.image;
  const install = [...(hosted && o.kmatrix.kind !== 'image' ? [aptInstall(o)] : []), ...installLines(o.kmatrix, (bin) => `export PATH="${bin}:$PATH"`)];
  const base = hosted ? { image } : { tags: ['kmatrix'] };
  // Hosted runners start empty: each shard keeps its ccache in the GitLab cache (per shard index, so a cell's
  // objects come back to the shard that builds it every night).
  const shardCache = hosted ? { cache: { key: 'kmatrix-ccache-$CI_NODE_INDEX-of-$CI_NODE_TOTAL', paths: ['.kmatrix-cache/ccache/'], when: 'always' } } : {};
  const shardVars = hosted ? { variables: { KMATRIX_CACHE: '$CI_PROJECT_DIR/.kmatrix-cache' } } : {};
  const pipeline = {
    stages: ['build', 'report'],
    variables,
    'kmatrix-shard': {
      stage: 'build',
      ...base,
      parallel: o.shards,
      timeout: '6h',
      ...shardVars,
      ...shardCache,
      ...(install.length ? { before_script: install } : {}),
      script: [
        // --shard alone reads CI_NODE_INDEX/CI_NODE_TOTAL (1-based) that `parallel` sets.
        `kmatrix run "$CI_COMMIT_SHA" --tree .${matrixArg(o)} --shard --runtime host --db "kmatrix-shard/shard-$CI_NODE_INDEX/kmatrix.db"`,
      ],
      artifacts: { when: 'always', name: 'kmatrix-shard-$CI_NODE_INDEX-of-$CI_NODE_TOTAL', paths: ['kmatrix-shard/'], expire_in: '2 weeks' },
    },
    'kmatrix-merge': {
      stage: 'report',
      ...base,
      needs: [{ job: 'kmatrix-shard', artifacts: true }],
      when: 'always',
      timeout: '1h',
      // The merged store of every earlier pipeline: the next nightly compares against the last one recorded.
      // Saved whatever the verdict (a red nightly is still the latest result).
      cache: { key: 'kmatrix-results', paths: ['kmatrix-results/'], when: 'always' },
      ...(install.length ? { before_script: installLines(o.kmatrix, (bin) => `export PATH="${bin}:$PATH"`) } : {}),
      script: [
        'status=0',
        `kmatrix merge kmatrix-shard/shard-*/kmatrix.db --into kmatrix-results/kmatrix.db${matrixArg(o)} || status=$?`,
        `kmatrix nightly --ref "$CI_COMMIT_SHA" --no-build --tree .${matrixArg(o)} --runtime host --db kmatrix-results/kmatrix.db` +
          ' --junit kmatrix-report/junit.xml --html kmatrix-report/kmatrix.html --markdown kmatrix-report/summary.md --json kmatrix-report/nightly.json || status=$?',
        'exit "$status"',
      ],
      artifacts: {
        when: 'always',
        name: 'kmatrix-report',
        paths: ['kmatrix-report/'],
        reports: { junit: 'kmatrix-report/junit.xml' },
        expire_in: '4 weeks',
      },
    },
  };
  return header(o, version) + stringify(pipeline, { lineWidth: 0, aliasDuplicateObjects: false });
}
