/**
 * helm/pes-bot checked with the real, pinned helm (test/helpers/kubectl.ts): `helm lint
 * --strict` and `helm template` with several value sets, every rendered object validated
 * against the Kubernetes schemas (schemas.ts), the restricted Pod Security Standard on every
 * pod spec (restricted.ts), the configuration the chart writes accepted by the bot's own
 * schema, secrets only by reference, and bad values refused with a clear line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema.ts';
import { repoRoot } from '../helpers/cli.ts';
import { chartDir, findObject, helm, render, valuesArgs, type K8sObject } from './helm.ts';
import { restrictedViolations } from './restricted.ts';
import { schemaProblems } from './schemas.ts';

type Json = Record<string, unknown>;

const withSecret = {
  existingSecret: 'pes-bot-secrets',
  secretEnv: { PES_BACKUP_PASSWORD: 'backup-password' },
  rbac: { namespaces: ['lms', 'shop'] },
  config: {
    locale: 'en',
    server: { stopGraceSeconds: 30 },
    clusters: { here: { inCluster: true } },
    services: {
      moodle: {
        platform: 'kubernetes',
        cluster: 'here',
        namespace: 'lms',
        workload: { kind: 'Deployment', name: 'moodle' },
      },
    },
    mattermost: {
      url: 'https://chat.example.org',
      botToken: { file: 'secrets/mattermost-token' },
      slashTokens: [{ file: 'secrets/mattermost-slash-token' }],
    },
  },
};

const observable = {
  existingSecret: 'pes-bot-secrets',
  metrics: { enabled: true, tokenKey: 'metrics-token' },
  serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  ingress: {
    enabled: true,
    className: 'nginx',
    host: 'pes.example.org',
    tlsSecretName: 'pes-tls',
  },
  config: {
    alerts: {
      path: '/hooks/alertmanager',
      token: { file: 'secrets/alertmanager-token' },
      defaultRoom: 'mattermost:4xp9fdt77pncbef59f4k1qe83o',
    },
  },
};

const valueSets: readonly { readonly name: string; readonly values: object | undefined }[] = [
  { name: 'defaults', values: undefined },
  { name: 'existingSecret, secretEnv, managed namespaces', values: withSecret },
  { name: 'metrics, ServiceMonitor and Ingress on', values: observable },
];

function podSpecOf(object: K8sObject): Json {
  if (object.kind === 'Pod') return object.spec as Json;
  return ((object.spec as Json).template as Json).spec as Json;
}

function container(object: K8sObject): Json {
  return (podSpecOf(object).containers as Json[])[0] ?? {};
}

describe('helm lint --strict', () => {
  it.each(valueSets)('passes with $name', async ({ values }) => {
    const result = await helm(['lint', '--strict', chartDir, ...valuesArgs(values)]);
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });
});

describe('every rendered object', () => {
  it.each(valueSets)('is valid by the Kubernetes schemas with $name', async ({ values }) => {
    const objects = await render(values);
    expect(objects.length).toBeGreaterThanOrEqual(8);
    const problems = (await Promise.all(objects.map(schemaProblems))).flat();
    expect(problems).toEqual([]);
  });

  it('would be refused with a wrong type or an unknown field (the check can fail)', async () => {
    const deployment = findObject(await render(), 'Deployment');
    const spec = deployment.spec as Json;
    const wrong = { ...deployment, spec: { ...spec, replicas: '1', paused: 'no', strategyy: {} } };
    const problems = await schemaProblems(wrong);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^Deployment bot-pes-bot: /);
    expect(problems[0]).toContain('data/spec/replicas must be integer');
    expect(problems[0]).toContain('data/spec/paused must be boolean');
    expect(problems[1]).toBe('Deployment bot-pes-bot: unknown field "spec.strategyy"');
    const monitor = findObject(await render(observable), 'ServiceMonitor');
    const endpoints = (monitor.spec as Json).endpoints as Json[];
    const stale = {
      ...monitor,
      spec: { ...(monitor.spec as Json), endpoints: [{ ...endpoints[0], bearerTokenSecrett: {} }] },
    };
    expect(await schemaProblems(stale)).toEqual([
      'ServiceMonitor bot-pes-bot: unknown field "spec.endpoints[0].bearerTokenSecrett"',
    ]);
  });

  it.each(valueSets)('holds no Secret and no secret value with $name', async ({ values }) => {
    const objects = await render(values);
    expect(objects.map((o) => o.kind)).not.toContain('Secret');
  });
});

describe('the pods', () => {
  it.each(valueSets)(
    'follow the restricted Pod Security Standard with $name',
    async ({ values }) => {
      const objects = await render(values);
      const pods = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Pod');
      expect(pods.map((o) => o.kind).sort()).toEqual(['Deployment', 'Pod']);
      for (const pod of pods) expect(restrictedViolations(podSpecOf(pod))).toEqual([]);
    },
  );

  it('the check names what breaks the standard', () => {
    expect(
      restrictedViolations({
        hostNetwork: true,
        volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }],
        containers: [{ name: 'bot', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }],
      }),
    ).toEqual([
      'hostNetwork is set',
      'volume sock is of type hostPath',
      'bot: allowPrivilegeEscalation is not false',
      'bot: runAsNonRoot is not true',
      'bot: seccompProfile is undefined',
      'bot: capabilities do not drop ALL',
      'bot: adds SYS_ADMIN',
      'bot: root filesystem is writable',
      'bot: no emptyDir at /tmp',
    ]);
  });

  it('one replica, Recreate, state on the claim, probes, and a grace period for the stop', async () => {
    const objects = await render();
    const deployment = findObject(objects, 'Deployment');
    const spec = deployment.spec as Json;
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    const pod = podSpecOf(deployment);
    // README "How it behaves": 60 s for jobs, then up to 10 s for the outbox.
    expect(pod.terminationGracePeriodSeconds).toBe(75);
    const longer = podSpecOf(
      findObject(await render({ config: { server: { stopGraceSeconds: 100 } } }), 'Deployment'),
    );
    expect(longer.terminationGracePeriodSeconds).toBe(115);
    const claim = findObject(objects, 'PersistentVolumeClaim');
    const volumes = pod.volumes as Json[];
    const state = volumes.find((v) => v.name === 'state');
    expect(state?.persistentVolumeClaim).toEqual({ claimName: claim.metadata.name });
    const c = container(deployment);
    expect(c.volumeMounts).toContainEqual({ name: 'state', mountPath: '/app/state' });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    const service = findObject(objects, 'Service');
    expect((service.spec as Json).ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect((service.spec as Json).selector).toEqual((spec.selector as Json).matchLabels as Json);
    expect(pod.serviceAccountName).toBe(findObject(objects, 'ServiceAccount').metadata.name);
  });
});

describe('the configuration', () => {
  it.each(valueSets)('is accepted by the bot’s own schema with $name', async ({ values }) => {
    const map = findObject(await render(values), 'ConfigMap');
    const text = (map.data as Json)['pes.yaml'] as string;
    const parsed = configSchema.safeParse(parse(text));
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(parsed.data?.state.path).toBe('state/pes.db');
  });

  it('names in values.schema.json exactly the keys the bot’s configuration has', () => {
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as {
      properties: { config: { properties: Json } };
    };
    expect(Object.keys(schema.properties.config.properties).sort()).toEqual(
      Object.keys(configSchema.shape).sort(),
    );
  });

  it('reaches secrets only through the Secret named by existingSecret', async () => {
    const objects = await render(withSecret);
    const deployment = findObject(objects, 'Deployment');
    const pod = podSpecOf(deployment);
    expect(pod.volumes).toContainEqual({
      name: 'secrets',
      secret: { secretName: 'pes-bot-secrets', defaultMode: 0o440 }, // 288
    });
    const c = container(deployment);
    // {file: secrets/<key>} is relative to the configuration file's folder.
    expect(c.volumeMounts).toContainEqual({
      name: 'secrets',
      mountPath: '/etc/pes-bot/secrets',
      readOnly: true,
    });
    expect(c.volumeMounts).toContainEqual({
      name: 'config',
      mountPath: '/etc/pes-bot/pes.yaml',
      subPath: 'pes.yaml',
      readOnly: true,
    });
    expect(c.env).toEqual([
      {
        name: 'PES_BACKUP_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'pes-bot-secrets', key: 'backup-password' } },
      },
    ]);
    const none = container(findObject(await render(), 'Deployment'));
    expect(none.env).toBeUndefined();
    expect((none.volumeMounts as Json[]).map((m) => m.name)).not.toContain('secrets');
  });

  it('a changed configuration rolls the pod (its checksum is on the template)', async () => {
    const checksum = async (values?: object) =>
      (
        ((findObject(await render(values), 'Deployment').spec as Json).template as Json)
          .metadata as Json
      ).annotations as Json;
    const a = (await checksum())['checksum/config'];
    const b = (await checksum({ config: { log: { level: 'debug' } } }))['checksum/config'];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).not.toBe(a);
  });
});

describe('Role and RoleBinding', () => {
  it('one pair per managed namespace, bound to the release’s service account', async () => {
    const objects = await render(withSecret);
    const roles = objects.filter((o) => o.kind === 'Role');
    const bindings = objects.filter((o) => o.kind === 'RoleBinding');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['lms', 'shop']);
    expect(bindings.map((r) => r.metadata.namespace)).toEqual(['lms', 'shop']);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'bot-pes-bot', namespace: 'pes' },
      ]);
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'bot-pes-bot',
      });
    }
    const own = (await render()).filter((o) => o.kind === 'Role');
    expect(own.map((r) => r.metadata.namespace)).toEqual(['pes']);
  });
});

describe('metrics, ServiceMonitor and Ingress', () => {
  it('scrapes /metrics with the token from the Secret, as job="pes-bot" the rules expect', async () => {
    const objects = await render(observable);
    const monitor = findObject(objects, 'ServiceMonitor');
    const service = findObject(objects, 'Service');
    const spec = monitor.spec as Json;
    expect((spec.selector as Json).matchLabels).toEqual((service.spec as Json).selector);
    const endpoint = (spec.endpoints as Json[])[0];
    expect(endpoint).toMatchObject({
      port: 'http',
      path: '/metrics',
      authorization: {
        type: 'Bearer',
        credentials: { name: 'pes-bot-secrets', key: 'metrics-token' },
      },
    });
    const jobRelabel = (endpoint?.relabelings as Json[]).find((r) => r.targetLabel === 'job');
    const rules = readFileSync(join(repoRoot, 'deploy/prometheus/pes-bot-rules.yml'), 'utf8');
    const jobs = new Set([...rules.matchAll(/job="([^"]+)"/g)].map((m) => m[1]));
    expect([...jobs]).toEqual(['pes-bot']);
    expect(jobRelabel).toEqual({ action: 'replace', targetLabel: 'job', replacement: 'pes-bot' });
    // The bot reads the same key as its metrics token.
    const config = parse((findObject(objects, 'ConfigMap').data as Json)['pes.yaml'] as string) as {
      server: Json;
    };
    expect(config.server.metricsToken).toEqual({ file: 'secrets/metrics-token' });
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it('exposes only the Mattermost routes and the Alertmanager hook', async () => {
    const ingress = findObject(await render(observable), 'Ingress');
    const spec = ingress.spec as Json;
    expect(spec.ingressClassName).toBe('nginx');
    expect(spec.tls).toEqual([{ hosts: ['pes.example.org'], secretName: 'pes-tls' }]);
    const rule = (spec.rules as Json[])[0] ?? {};
    expect(rule.host).toBe('pes.example.org');
    const backend = { service: { name: 'bot-pes-bot', port: { name: 'http' } } };
    expect((rule.http as Json).paths).toEqual([
      { path: '/mattermost', pathType: 'Prefix', backend },
      { path: '/hooks/alertmanager', pathType: 'Exact', backend },
    ]);
    const objects = await render();
    expect(objects.map((o) => o.kind)).not.toContain('Ingress');
    expect(objects.map((o) => o.kind)).not.toContain('ServiceMonitor');
  });
});

describe('bad values', () => {
  const cases: readonly {
    readonly what: string;
    readonly values: object;
    readonly says: string;
  }[] = [
    {
      what: 'a port of the wrong type',
      values: { service: { port: '8080' } },
      says: "at '/service/port': got string, want integer",
    },
    {
      what: 'a port out of range',
      values: { service: { targetPort: 70000 } },
      says: "at '/service/targetPort': maximum: got 70,000, want 65,535",
    },
    {
      what: 'a stop grace of no time',
      values: { config: { server: { stopGraceSeconds: 0 } } },
      says: "at '/config/server/stopGraceSeconds': minimum: got 0, want 1",
    },
    {
      what: 'an unknown value',
      values: { replicaCount: 2 },
      says: "at '': additional properties 'replicaCount' not allowed",
    },
    {
      what: 'an unknown configuration key',
      values: { config: { servics: {} } },
      says: "at '/config': additional properties 'servics' not allowed",
    },
    {
      what: 'a server setting the chart makes itself',
      values: { config: { server: { port: 9000 } } },
      says: "at '/config/server': additional properties 'port' not allowed",
    },
    {
      what: 'an unknown log level',
      values: { config: { log: { level: 'verbose' } } },
      says: "at '/config/log/level': value must be one of 'debug', 'info', 'warn', 'error'",
    },
    {
      what: 'a volume size that is no quantity',
      values: { persistence: { size: 'lots' } },
      says: "at '/persistence/size': 'lots' does not match pattern",
    },
    {
      what: 'a ServiceMonitor without metrics',
      values: { serviceMonitor: { enabled: true } },
      says: "at '/metrics/enabled': value must be true",
    },
    {
      what: 'metrics without a Secret for the token',
      values: { metrics: { enabled: true } },
      says: "at '/existingSecret': minLength: got 0, want 1",
    },
    {
      what: 'secretEnv without a Secret',
      values: { secretEnv: { PES_BACKUP_PASSWORD: 'backup-password' } },
      says: "at '/existingSecret': minLength: got 0, want 1",
    },
    {
      what: 'a secretEnv name that is no variable name',
      values: { existingSecret: 's', secretEnv: { 'PES-X': 'x' } },
      says: "'PES-X' does not match pattern '^[A-Za-z_][A-Za-z0-9_]*$'",
    },
  ];

  it.each(cases)('$what: helm template fails and says so', async ({ values, says }) => {
    const result = await helm(['template', 'bot', chartDir, ...valuesArgs(values)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(says);
    expect(result.stdout).toBe('');
  });

  it.each(cases)('$what: helm lint --strict fails and says so', async ({ values, says }) => {
    const result = await helm(['lint', '--strict', chartDir, ...valuesArgs(values)]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(says);
  });
});

describe('NOTES.txt', () => {
  async function notes(values?: object): Promise<string> {
    const result = await helm([
      'install',
      'bot',
      chartDir,
      '--dry-run=client',
      '--namespace',
      'pes',
      ...valuesArgs(values),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.slice(result.stdout.indexOf('NOTES:'));
  }

  it('says how to check the release, where secrets go, the endpoints and the scrape job', async () => {
    const text = await notes(observable);
    expect(text).toContain('kubectl -n pes rollout status deployment/bot-pes-bot');
    expect(text).toContain('helm test bot -n pes');
    expect(text).toContain('{file: secrets/<key>}');
    expect(text).toContain('https://pes.example.org/mattermost/command');
    expect(text).toContain('https://pes.example.org/hooks/alertmanager');
    expect(text).toContain('job="pes-bot"');
    expect(text).toContain('deploy/grafana/pes-bot.json');
  });

  it('without existingSecret, says that the configuration can refer to no secret', async () => {
    const text = await notes();
    expect(text).toContain('No existingSecret is set');
    expect(text).not.toContain('job="pes-bot"');
  });

  it('names the namespaces the bot may change', async () => {
    const text = await notes({
      rbac: { namespaces: ['lms', 'shop'] },
      config: { provision: { cluster: 'here', namespace: 'apps' } },
    });
    expect(text).toContain('The bot may manage Deployments and StatefulSets in: lms, shop.');
    expect(text).toContain('It may provision and deprovision instances in: apps.');
  });
});
