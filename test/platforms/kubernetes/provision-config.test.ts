/**
 * `provision.cluster` and `provision.namespace`: where provisioned instances go. Both or
 * neither, a cluster that is configured and a namespace that is a DNS-1123 label; absent,
 * instances stay on Docker. The app routes the provisioning verbs there and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { instanceService } from '../../../src/core/templates.ts';
import { startFakeKubernetes } from '../../fakes/kubernetes/index.ts';
import { catchUserError, makeTempDir, problemsOf } from '../../config/temp-config.ts';

const kubeconfig = `
apiVersion: v1
kind: Config
current-context: pes@main
clusters:
  - name: main
    cluster: { server: 'https://127.0.0.1:6443' }
users:
  - name: pes-bot
    user: { token: kube-token-value }
contexts:
  - name: pes@main
    context: { cluster: main, user: pes-bot }
`;

function load(provision: string) {
  const cwd = makeTempDir({
    'kube/config': kubeconfig,
    'pes.yaml': `
clusters:
  main: { kubeconfig: kube/config }
provision: ${provision}
`,
  });
  return () => loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' });
}

describe('provision.cluster and provision.namespace', () => {
  it('name where instances go', () => {
    expect(load('{ cluster: main, namespace: apps }')().provisionOn).toEqual({
      cluster: 'main',
      namespace: 'apps',
    });
    expect(load('{ templates: templates }')().provisionOn).toBeUndefined();
  });

  it('refuse an unknown cluster, a bad namespace, or one without the other', () => {
    expect(problemsOf(catchUserError(load('{ cluster: other, namespace: apps }')))).toEqual([
      'provision.cluster: unknown cluster "other" (clusters: main)',
    ]);
    expect(problemsOf(catchUserError(load('{ cluster: main, namespace: Apps_1 }')))).toEqual([
      'provision.namespace: expected a Kubernetes namespace: lowercase letters, digits and "-", alphanumeric at both ends (≤ 63)',
    ]);
    expect(problemsOf(catchUserError(load('{ cluster: main }')))).toEqual([
      'provision.namespace: expected both cluster and namespace, or neither',
    ]);
  });
});

describe('the app with provision.cluster', () => {
  it('plans provisioning on the cluster; a Docker service still goes to Docker', async () => {
    const fake = await startFakeKubernetes({ namespaces: ['apps'] });
    try {
      const cwd = makeTempDir({
        'pes.yaml': `
clusters:
  lab: { kubeconfig: ${JSON.stringify(await fake.kubeconfigPath('pes@lab'))}, context: pes@lab }
provision: { cluster: lab, namespace: apps }
state: { path: ':memory:' }
`,
      });
      const config = loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' });
      const app = await createApp(config, { logLevel: 'silent' });
      try {
        const spec = {
          name: 'files',
          template: 'files',
          image: 'registry.test/files:1',
          env: {},
          command: undefined,
          volumes: [],
          labels: {},
          healthcheck: undefined,
          network: 'none',
          stopTimeoutSeconds: 10,
        };
        const platform = app.platform(instanceService('files'));
        const plan = await platform.planProvision(spec);
        expect(plan).toEqual({
          instance: 'files',
          container: 'deployment/files',
          volumes: [],
          image: 'registry.test/files:1',
          pull: false,
          cluster: { name: 'lab', namespace: 'apps', secret: undefined },
        });
        expect(
          fake.requests.some(
            (r) =>
              r.path === '/apis/apps/v1/namespaces/apps/deployments/files' &&
              r.query.includes('dryRun=All'),
          ),
        ).toBe(true);
        expect(platform.name).toBe('docker');
      } finally {
        app.close();
      }
    } finally {
      await fake.close();
    }
  });
});
