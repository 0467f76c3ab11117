/** GitHub Actions workflow: a matrix job per shard, then a merge job that compares and publishes (pure). */
import { stringify } from 'yaml';
import { installLines, installVariables } from './install.js';
import { header, matrixArg, type CiOptions } from './options.js';

/** Render `.github/workflows/kmatrix.yml`. */
export function githubWorkflow(o: CiOptions, version: string): string {
  const n = o.shards;
  const hosted = o.runner === 'hosted';
  const image = o.kmatrix.kind === 'image' ? o.kmatrix.image : null;
  // An image that holds kmatrix and the toolchains is the job's container: builds run on its toolchain.
  const runtime = hosted && !image ? 'docker' : 'host';
  const install = installLines(o.kmatrix, (bin) => `echo "${bin}" >> "$GITHUB_PATH"`);
  const setup = [
    { uses: 'actions/checkout@v4', with: { 'fetch-depth': 1 } },
    ...(install.length
      ? [
          { uses: 'actions/setup-node@v4', with: { 'node-version': '20' } },
          { name: 'install kmatrix (pinned, checked)', run: install.join('\n') },
        ]
      : []),
  ];
  const container = image ? { container: { image } } : {};
  const env: Record<string, string> = { ...installVariables(o.kmatrix) };
  const workflow = {
    name: 'kmatrix',
    on: { schedule: [{ cron: '0 2 * * *' }], workflow_dispatch: null },
    permissions: { contents: 'read' },
    concurrency: { group: 'kmatrix-${{ github.ref }}', 'cancel-in-progress': false },
    ...(Object.keys(env).length ? { env } : {}),
    jobs: {
      shard: {
        name: `shard \${{ matrix.shard }}/${n}`,
        // Self-hosted: one runner per shard (label kmatrix-shard-I) keeps that shard's warm O= dirs and ccache.
        'runs-on': hosted ? 'ubuntu-24.04' : ['self-hosted', 'linux', 'kmatrix-shard-${{ matrix.shard }}'],
        ...container,
        'timeout-minutes': 360,
        strategy: { 'fail-fast': false, matrix: { shard: Array.from({ length: n }, (_, i) => i + 1) } },
        steps: [
          ...setup,
          hosted && !image
            ? { name: 'build image (docker/Dockerfile)', run: 'kmatrix image build --runtime docker --dockerfile' }
            : { name: 'check the toolchain', run: `kmatrix doctor --runtime host --tree .${matrixArg(o)}` },
          {
            name: 'build this shard',
            run:
              `kmatrix run "$GITHUB_SHA" --tree .${matrixArg(o)} --shard "\${{ matrix.shard }}/${n}" --runtime ${runtime}` +
              ` --db "kmatrix-shard/shard-\${{ matrix.shard }}/kmatrix.db"`,
          },
          {
            name: 'upload this shard',
            if: '${{ !cancelled() }}',
            uses: 'actions/upload-artifact@v4',
            with: {
              name: `kmatrix-shard-\${{ matrix.shard }}-of-${n}`,
              path: 'kmatrix-shard/',
              'if-no-files-found': 'warn',
              'retention-days': 14,
            },
          },
        ],
      },
      merge: {
        needs: 'shard',
        if: '${{ !cancelled() }}',
        'runs-on': hosted ? 'ubuntu-24.04' : ['self-hosted', 'linux'],
        ...container,
        'timeout-minutes': 60,
        steps: [
          ...setup,
          {
            name: 'restore the merged store (baseline: the previous nightly)',
            uses: 'actions/cache/restore@v4',
            with: { path: 'kmatrix-results', key: 'kmatrix-results-${{ github.run_id }}', 'restore-keys': 'kmatrix-results-' },
          },
          {
            name: 'download every shard',
            uses: 'actions/download-artifact@v4',
            with: { pattern: `kmatrix-shard-*-of-${n}`, path: 'kmatrix-shard', 'merge-multiple': true },
          },
          {
            name: 'merge the shards',
            run: `kmatrix merge kmatrix-shard/shard-*/kmatrix.db --into kmatrix-results/kmatrix.db${matrixArg(o)}`,
          },
          {
            name: 'nightly comparison',
            if: '${{ !cancelled() }}',
            run:
              `kmatrix nightly --ref "$GITHUB_SHA" --no-build --tree .${matrixArg(o)} --runtime ${runtime} --db kmatrix-results/kmatrix.db` +
              ' --junit kmatrix-report/junit.xml --html kmatrix-report/kmatrix.html --markdown kmatrix-report/summary.md --json kmatrix-report/nightly.json',
          },
          {
            name: 'summary',
            if: '${{ !cancelled() }}',
            run: 'if [ -f kmatrix-report/summary.md ]; then cat kmatrix-report/summary.md >> "$GITHUB_STEP_SUMMARY"; fi',
          },
          {
            name: 'publish JUnit and HTML',
            if: '${{ !cancelled() }}',
            uses: 'actions/upload-artifact@v4',
            with: { name: 'kmatrix-report', path: 'kmatrix-report/', 'if-no-files-found': 'warn' },
          },
          {
            name: 'keep the merged store for the next nightly',
            if: '${{ !cancelled() }}',
            uses: 'actions/cache/save@v4',
            with: { path: 'kmatrix-results', key: 'kmatrix-results-${{ github.run_id }}-${{ github.run_attempt }}' },
          },
        ],
      },
    },
  };
  return header(o, version) + stringify(workflow, { lineWidth: 0, aliasDuplicateObjects: false });
}
