/** Generate (or check) the CI configuration of one engine (pure rendering; file I/O is the CLI's). */
import { githubWorkflow } from './github.js';
import { gitlabPipeline } from './gitlab.js';
import { kubernetesManifests } from './kubernetes.js';
import type { CiOptions, Engine } from './options.js';

/** The configuration text for the engine. */
export function renderCi(o: CiOptions, version: string): string {
  const render: Record<Engine, (o: CiOptions, v: string) => string> = {
    github: githubWorkflow,
    gitlab: gitlabPipeline,
    kubernetes: kubernetesManifests,
  };
  return render[o.engine](o, version);
}
