import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

const kubeconfig = `
apiVersion: v1
kind: Config
current-context: admin@main
clusters:
  - name: main
    cluster: { server: 'https://127.0.0.1:6443' }
users:
  - name: pes-bot
    user: { token: kube-token-value }
contexts:
  - name: admin@main
    context: { cluster: main, user: pes-bot }
  - name: pes@main
    context: { cluster: main, user: pes-bot, namespace: lms }
  - name: broken
    context: { cluster: elsewhere, user: nobody }
`;

function load(files: Readonly<Record<string, string>>) {
  const cwd = makeTempDir(files);
  return { cwd, run: () => loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' }) };
}

describe('a configuration with clusters', () => {
  it('resolves clusters and the services on them, beside Docker services', () => {
    const { cwd, run } = load({
      'kube/config': kubeconfig,
      'pes.yaml': `
clusters:
  main: { kubeconfig: kube/config, context: pes@main }
  here: { inCluster: true }
  current: { kubeconfig: kube/config }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
  keycloak:
    platform: kubernetes
    cluster: main
    namespace: auth
    workload: { kind: Deployment, name: keycloak }
    scale: { min: 1, max: 3 }
    health: { timeoutSeconds: 300 }
  db:
    platform: kubernetes
    cluster: here
    namespace: data
    workload: { kind: StatefulSet, selector: { app.kubernetes.io/name: postgres } }
`,
    });
    const loaded = run();
    // One catalog for both: `status` lists them together, each routed by its platform.
    expect([...loaded.catalog.services.keys()]).toEqual(['moodle', 'keycloak', 'db']);
    expect(loaded.catalog.services.get('moodle')?.platform).toBe('docker');
    expect(loaded.catalog.services.get('keycloak')).toMatchObject({
      platform: 'kubernetes',
      containers: {},
      volumes: [],
      databases: [],
      scale: { min: 1, max: 3 },
      health: { timeoutSeconds: 300 },
      kubernetes: {
        cluster: 'main',
        namespace: 'auth',
        workload: { kind: 'Deployment', name: 'keycloak' },
      },
    });
    expect(loaded.catalog.services.get('db')?.kubernetes?.workload).toEqual({
      kind: 'StatefulSet',
      selector: { 'app.kubernetes.io/name': 'postgres' },
    });
    expect([...loaded.kubernetes.clusters.values()]).toEqual([
      {
        name: 'main',
        source: 'kubeconfig',
        kubeconfig: join(cwd, 'kube/config'),
        context: 'pes@main',
      },
      { name: 'here', source: 'in-cluster' },
      // No context: the file's current one.
      {
        name: 'current',
        source: 'kubeconfig',
        kubeconfig: join(cwd, 'kube/config'),
        context: 'admin@main',
      },
    ]);
    expect(loaded.kubernetes.services.get('keycloak')).toEqual({
      name: 'keycloak',
      platform: 'kubernetes',
      cluster: 'main',
      namespace: 'auth',
      workload: { kind: 'Deployment', name: 'keycloak' },
      scale: { min: 1, max: 3 },
      health: { minRunning: 1, timeoutSeconds: 300 },
    });
    expect(loaded.kubernetes.services.get('db')?.workload).toEqual({
      kind: 'StatefulSet',
      selector: { 'app.kubernetes.io/name': 'postgres' },
    });
    // The kubeconfig's credentials join the redaction list.
    expect(loaded.catalog.secrets).toContain('kube-token-value');
  });

  it('adds the credentials of auth-provider and exec users to the redaction list', () => {
    const { run } = load({
      'kube/config': `
apiVersion: v1
kind: Config
clusters:
  - name: main
    cluster: { server: 'https://127.0.0.1:6443' }
users:
  - name: oidc
    user:
      auth-provider:
        name: oidc
        config:
          client-id: pes-bot
          client-secret: oidc-client-secret-value
          id-token: oidc-id-token-value
          refresh-token: oidc-refresh-token-value
          idp-issuer-url: https://idp.test
  - name: plugin
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: get-token
        env:
          - { name: VAULT_TOKEN, value: exec-env-secret-value }
contexts:
  - name: oidc@main
    context: { cluster: main, user: oidc }
  - name: plugin@main
    context: { cluster: main, user: plugin }
`,
      'pes.yaml': `
clusters:
  a: { kubeconfig: kube/config, context: oidc@main }
  b: { kubeconfig: kube/config, context: plugin@main }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
`,
    });
    const secrets = run().catalog.secrets;
    for (const value of [
      'oidc-client-secret-value',
      'oidc-id-token-value',
      'oidc-refresh-token-value',
      'exec-env-secret-value',
    ]) {
      expect(secrets).toContain(value);
    }
    // Not credentials: names and addresses stay readable in messages.
    expect(secrets).not.toContain('pes-bot');
    expect(secrets).not.toContain('https://idp.test');
  });

  it('leaves a Docker-only configuration as it was', () => {
    const loaded = load({
      'pes.yaml': `
services:
  moodle:
    containers: { names: [moodle] }
`,
    }).run();
    expect(loaded.kubernetes.clusters.size).toBe(0);
    expect(loaded.kubernetes.services.size).toBe(0);
    expect(loaded.catalog.services.get('moodle')).toMatchObject({
      name: 'moodle',
      platform: 'docker',
      containers: { names: ['moodle'] },
      scale: { min: 1, max: 1 },
    });
  });

  it('reports each wrong name and shape on its own line', () => {
    const error = catchUserError(
      load({
        'pes.yaml': `
clusters:
  both: { inCluster: true, kubeconfig: x }
  neither: {}
services:
  a:
    platform: kubernetes
    cluster: nowhere
    namespace: LMS_Prod
    workload: { kind: Deployment, name: Moodle_1 }
  b:
    platform: kubernetes
    cluster: both
    namespace: lms
    workload: { kind: DaemonSet, name: x, selector: { app: x } }
    containers: { names: [x] }
  c:
    platform: k8s
  d:
    platform: kubernetes
    cluster: both
    namespace: lms
    workload: { kind: StatefulSet, selector: { '-bad': x, app: 'bad-' } }
  e:
    platform: kubernetes
    cluster: both
    namespace: lms
    workload: { kind: StatefulSet, selector: {} }
    scale: { max: 2 }
    health: { minRunning: 3 }
  f:
    platform: kubernetes
    cluster: both
    namespace: lms
    workload: { kind: Deployment, name: x, selector: { app: x } }
  g:
    platform: kubernetes
    cluster: both
    namespace: lms
    workload: { kind: Deployment }
`,
      }).run,
    );
    expect(problemsOf(error)).toEqual([
      'clusters.both: expected either inCluster or kubeconfig, not both',
      'clusters.neither: expected kubeconfig (and context) or inCluster: true',
      'services.a.namespace: expected a Kubernetes namespace: lowercase letters, digits and "-", alphanumeric at both ends (≤ 63)',
      'services.a.workload.name: expected a Kubernetes object name: lowercase letters, digits, "-" and ".", alphanumeric at both ends (≤ 253)',
      'services.b.workload.kind: expected one of Deployment, StatefulSet',
      'services.b: unknown key "containers"',
      'services.c.platform: expected one of docker, kubernetes',
      'services.d.workload.selector.-bad: invalid name: expected a label key: [prefix/]name, the name ≤ 63 letters, digits, "-", "_", "."',
      'services.d.workload.selector.app: expected a label value: ≤ 63 letters, digits, "-", "_", ".", alphanumeric at both ends',
      'services.e.workload.selector: expected at least one label',
      'services.e.health.minRunning: must not exceed scale.max (2)',
      'services.f.workload: expected either name or selector',
      'services.g.workload: expected either name or selector',
    ]);
    expect(error.kind).toBe('usage');
  });

  it('names an unknown cluster and the known ones', () => {
    const error = catchUserError(
      load({
        'pes.yaml': `
clusters:
  main: { inCluster: true }
  edge: { inCluster: true }
services:
  keycloak:
    platform: kubernetes
    cluster: mian
    namespace: auth
    workload: { kind: Deployment, name: keycloak }
`,
      }).run,
    );
    expect(problemsOf(error)).toEqual([
      'services.keycloak.cluster: unknown cluster "mian" (clusters: main, edge)',
    ]);

    const none = catchUserError(
      load({
        'pes.yaml': `
services:
  keycloak:
    platform: kubernetes
    cluster: main
    namespace: auth
    workload: { kind: Deployment, name: keycloak }
`,
      }).run,
    );
    expect(problemsOf(none)).toEqual([
      'services.keycloak.cluster: unknown cluster "main" (no clusters are configured)',
    ]);
  });

  it('checks each kubeconfig and context at load', () => {
    const { cwd, run } = load({
      'kube/config': kubeconfig,
      'kube/no-current': kubeconfig.replace('current-context: admin@main\n', ''),
      'kube/secret-broken': 'users: [ { name: x, user: { token: "s3cret-in-file" } }\n',
      'kube/list': '- a\n- b\n',
      'kube/locked': kubeconfig,
      'pes.yaml': `
clusters:
  missing: { kubeconfig: kube/nope }
  dir: { kubeconfig: kube }
  nocontext: { kubeconfig: kube/config, context: staging }
  nocurrent: { kubeconfig: kube/no-current }
  dangling: { kubeconfig: kube/config, context: broken }
  syntax: { kubeconfig: kube/secret-broken }
  list: { kubeconfig: kube/list }
  locked: { kubeconfig: kube/locked }
`,
    });
    chmodSync(join(cwd, 'kube/locked'), 0o000);
    const error = catchUserError(run);
    const problems = problemsOf(error);
    const k = (file: string) => join(cwd, file);
    const expected = [
      `clusters.missing.kubeconfig: cannot read ${k('kube/nope')} (no such file)`,
      `clusters.dir.kubeconfig: cannot read ${k('kube')} (it is a directory)`,
      `clusters.nocontext.context: no context "staging" in ${k('kube/config')} (contexts: "admin@main", "pes@main", "broken")`,
      `clusters.nocurrent.context: required, ${k('kube/no-current')} has no current-context (contexts: "admin@main", "pes@main", "broken")`,
      `clusters.dangling.context: context "broken" in ${k('kube/config')} names no cluster of the file`,
      `clusters.dangling.context: context "broken" in ${k('kube/config')} names no user of the file`,
      `clusters.syntax.kubeconfig: ${k('kube/secret-broken')} is not a valid kubeconfig (YAML syntax error)`,
      `clusters.list.kubeconfig: ${k('kube/list')} is not a valid kubeconfig (expected a mapping)`,
    ];
    // root reads any file: the permission case only holds for an ordinary user.
    if (process.getuid?.() !== 0) {
      expected.push(
        `clusters.locked.kubeconfig: cannot read ${k('kube/locked')} (permission denied)`,
      );
    }
    expect(problems).toEqual(expected);
    // What the broken file holds is not quoted.
    expect(String(error.params['problems'])).not.toContain('s3cret-in-file');
  });
});
