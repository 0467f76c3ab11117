/** GitLab CI pipeline: `parallel: N` shard jobs, then a merge job that compares and publishes (pure). */
import { stringify } from 'yaml';
import { aptInstall, header, matrixArg, type CiOptions } from './options.js';

/** Render the GitLab CI file (include it from `.gitlab-ci.yml` with `include: local:`). */
export function gitlabPipeline(o: CiOptions, version: string): string {
  const variables: Record<string, string> = { KMATRIX_VERSION: o.kmatrix, GIT_DEPTH: '1' };
  if (o.matrix) variables['KMATRIX_MATRIX'] = o.matrix;
  // The job's container is the build environment: the image's Debian suite plus docker/packages.txt,
  // and kmatrix builds with `--runtime host` inside it (no container engine needed in the job).
  const hosted = o.runner === 'hosted';
  const install = [...(hosted ? [aptInstall(o)] : []), 'npm install -g "$KMATRIX_VERSION"'];
  const base = hosted ? { image: o.image } : { tags: ['kmatrix'] };
  const pipeline = {
    stages: ['build', 'report'],
    variables,
    'kmatrix-shard': {
      stage: 'build',
      ...base,
      parallel: o.shards,
      timeout: '6h',
      before_script: install,
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
      cache: { key: 'kmatrix-results', paths: ['kmatrix-results/'] },
      before_script: ['npm install -g "$KMATRIX_VERSION"'],
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
