/**
 * From the configuration file to the cluster: the clusters and services `loadConfig` resolves
 * are what the platform uses, a workload found by its labels included.
 */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes/index.ts';
import { makeTempDir } from '../../config/temp-config.ts';

let fake: FakeKubernetes;
let kubeconfig: string;

function deployment(name: string, tier: string) {
  return asModel(
    {
      metadata: { name, labels: { 'app.kubernetes.io/name': 'moodle', tier } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: `registry.test/${name}:1` }] },
        },
      },
    },
    V1Deployment,
  );
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  kubeconfig = await fake.kubeconfigPath('pes@lab');
});

afterAll(async () => {
  await fake.close();
});

function load() {
  const cwd = makeTempDir({
    'pes.yaml': `
clusters:
  lab: { kubeconfig: ${JSON.stringify(kubeconfig)}, context: pes@lab }
services:
  web:
    platform: kubernetes
    cluster: lab
    namespace: lms
    workload: { kind: Deployment, selector: { app.kubernetes.io/name: moodle, tier: web } }
  any:
    platform: kubernetes
    cluster: lab
    namespace: lms
    workload: { kind: Deployment, selector: { app.kubernetes.io/name: moodle } }
`,
  });
  return loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' });
}

describe('a cluster from the configuration', () => {
  it('finds the workload by its labels, and refuses a selector that matches several', async () => {
    const loaded = load();
    const platform = new KubernetesPlatform(new ClusterClients(loaded.kubernetes.clusters));
    const web = loaded.kubernetes.services.get('web');
    const any = loaded.kubernetes.services.get('any');
    if (web === undefined || any === undefined) throw new Error('services not loaded');
    expect((await platform.status(web)).state).toBe('missing');

    const clients = await new ClusterClients(loaded.kubernetes.clusters).get('lab');
    await clients.apps.createNamespacedDeployment({
      namespace: 'lms',
      body: deployment('moodle-web', 'web'),
    });
    await clients.apps.createNamespacedDeployment({
      namespace: 'lms',
      body: deployment('moodle-cron', 'cron'),
    });
    await platform.restart(web, () => undefined);
    const status = await platform.status(web);
    expect(status.workload?.name).toBe('moodle-web');
    expect(status.state).toBe('up');

    const error = await platform.status(any).catch((e: unknown) => e);
    expect(isUserError(error) && error.code).toBe('kubernetes-selector-ambiguous');
    expect(isUserError(error) && error.text('en')).toBe(
      'Several Deployment objects in namespace lms match the labels app.kubernetes.io/name=moodle: moodle-cron, moodle-web; nothing was changed.',
    );
  });
});
