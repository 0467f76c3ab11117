/** Kubernetes manifests: an Indexed Job (one pod per shard) and a merge Job sharing a results volume (pure). */
import { stringify } from 'yaml';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { installLines, installVariables } from './install.js';
import { aptInstall, header, matrixArg, type CiOptions } from './options.js';

const LABELS = { 'app.kubernetes.io/name': 'kmatrix' };

/** Debian packages and kmatrix, unless the image already holds both. */
function setup(o: CiOptions): string[] {
  return o.kmatrix.kind === 'image' ? [] : [aptInstall(o), ...installLines(o.kmatrix, (bin) => `export PATH="${bin}:$PATH"`)];
}

/**
 * Fetch the pinned revision into `dir`, a repository only this pod uses (its own cache directory), and check it out.
 * A pod killed mid-fetch leaves git's lock files; its replacement starts only once it is gone
 * (`podReplacementPolicy: Failed`), so they are stale and removed.
 */
function fetchTree(dir: string): string[] {
  return [
    `git init -q ${dir}`,
    `rm -f ${dir}/.git/index.lock ${dir}/.git/shallow.lock`,
    `git -C ${dir} fetch -q --depth 1 "$KMATRIX_REPO" "$KMATRIX_REF"`,
    `git -C ${dir} checkout -q --force --detach FETCH_HEAD`,
  ];
}

/** The shell script a shard pod runs: fetch the tree into its persistent cache, build its shard, keep results. */
function shardScript(o: CiOptions): string {
  return [
    'set -eu',
    'shard=$((JOB_COMPLETION_INDEX + 1))',
    'out="/results/shards/shard-$shard"',
    'rm -rf "$out" && mkdir -p "$out"',
    ...setup(o),
    // /cache is this shard index's own directory (subPathExpr shard-<index>): its tree, worktree and O= dirs
    // stay warm between nights and no other pod touches them.
    ...fetchTree('/cache/tree'),
    'status=0',
    `kmatrix run HEAD --tree /cache/tree${matrixArg(o)} --shard --runtime host --db "$out/kmatrix.db" || status=$?`,
    'echo "$status" > "$out/exit-code"',
    'exit "$status"',
  ].join('\n');
}

/** The merge pod's script: merge every shard there is, compare with the previous nightly, write the reports. */
function mergeScript(o: CiOptions): string {
  return [
    'set -eu',
    ...setup(o),
    // Only the merge pod uses /results/tree (one merge Job at a time, its replacement after it is gone).
    ...fetchTree('/results/tree'),
    'status=0',
    `kmatrix merge /results/shards/shard-*/kmatrix.db --into /results/merged/kmatrix.db${matrixArg(o)} || status=$?`,
    `kmatrix nightly --ref HEAD --no-build --tree /results/tree${matrixArg(o)} --runtime host --db /results/merged/kmatrix.db` +
      ' --junit /results/report/junit.xml --html /results/report/kmatrix.html --markdown /results/report/summary.md --json /results/report/nightly.json || status=$?',
    'exit "$status"',
  ].join('\n');
}

/** Render the manifests (several YAML documents): volumes, RBAC for the merge job's wait, the shard Job, the merge Job. */
export function kubernetesManifests(o: CiOptions, version: string): string {
  const env = [
    ...Object.entries(installVariables(o.kmatrix)).map(([name, value]) => ({ name, value })),
    { name: 'KMATRIX_REPO', value: o.repo },
    { name: 'KMATRIX_REF', value: o.ref },
    { name: 'KMATRIX_SHARDS', value: String(o.shards) },
    ...(o.matrix ? [{ name: 'KMATRIX_MATRIX', value: `/cache/tree/${o.matrix}` }] : []),
  ];
  const pvc = (name: string, size: string): IPersistentVolumeClaim => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, labels: LABELS },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: size } } },
  });
  const sa: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kmatrix-merge', labels: LABELS } };
  const role: IRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'kmatrix-merge', labels: LABELS },
    rules: [{ apiGroups: ['batch'], resources: ['jobs'], resourceNames: ['kmatrix-shards'], verbs: ['get'] }],
  };
  const binding: IRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'kmatrix-merge', labels: LABELS },
    subjects: [{ kind: 'ServiceAccount', name: 'kmatrix-merge' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kmatrix-merge' },
  };
  const shards: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'kmatrix-shards', labels: LABELS },
    spec: {
      completionMode: 'Indexed',
      // A replacement pod (retry of a failed index) starts only once the old one is gone, so two pods never
      // share an index's cache directory.
      podReplacementPolicy: 'Failed',
      completions: o.shards,
      parallelism: o.shards,
      backoffLimit: o.shards,
      template: {
        metadata: { labels: { ...LABELS, 'kmatrix/role': 'shard' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'shard',
              image: o.kmatrix.kind === 'image' ? o.kmatrix.image : o.image,
              command: ['/bin/bash', '-c', shardScript(o)],
              env: [
                ...env,
                { name: 'KMATRIX_CACHE', value: '/cache/kmatrix' },
                { name: 'SHARD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
              ],
              resources: { requests: { cpu: '2', memory: '4Gi' } },
              volumeMounts: [
                { name: 'results', mountPath: '/results' },
                // One directory per shard index on the cache volume: warm worktree, O= dirs and ccache.
                { name: 'cache', mountPath: '/cache', subPathExpr: 'shard-$(SHARD_INDEX)' },
              ],
            },
          ],
          volumes: [
            { name: 'results', persistentVolumeClaim: { claimName: 'kmatrix-results' } },
            { name: 'cache', persistentVolumeClaim: { claimName: 'kmatrix-cache' } },
          ],
        },
      },
    },
  };
  const merge: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'kmatrix-merge', labels: LABELS },
    spec: {
      backoffLimit: 0,
      podReplacementPolicy: 'Failed',
      template: {
        metadata: { labels: { ...LABELS, 'kmatrix/role': 'merge' } },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: 'kmatrix-merge',
          initContainers: [
            {
              // Kubernetes has no job dependencies: wait until the shard Job is Complete or Failed.
              name: 'wait-for-shards',
              image: 'registry.k8s.io/kubectl:v1.31.0',
              command: [
                '/bin/sh',
                '-c',
                "until kubectl get job kmatrix-shards -o jsonpath='{.status.conditions[?(@.status==\"True\")].type}' | grep -Eq 'Complete|Failed'; do sleep 30; done",
              ],
            },
          ],
          containers: [
            {
              name: 'merge',
              image: o.kmatrix.kind === 'image' ? o.kmatrix.image : o.image,
              command: ['/bin/bash', '-c', mergeScript(o)],
              env: env.map((e) => (e.name === 'KMATRIX_MATRIX' ? { ...e, value: `/results/tree/${o.matrix}` } : e)),
              volumeMounts: [{ name: 'results', mountPath: '/results' }],
            },
          ],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: 'kmatrix-results' } }],
        },
      },
    },
  };
  const docs = [pvc('kmatrix-results', '20Gi'), pvc('kmatrix-cache', '200Gi'), sa, role, binding, shards, merge];
  return header(o, version) + docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
