/**
 * The rendered chart applied whole with the real kubectl to the fake API server, whose
 * kubelet (pod-kubelet.ts) runs the image built from the Dockerfile (test/image/image.ts:
 * the same build as the image tests, from the engine's layer cache when nothing changed) on
 * the test Docker engine, with the chart's volumes, Secret references and security context,
 * until its readiness probe, answered over HTTP by the bot in the container, makes the pod
 * Ready and `kubectl rollout status` says the Deployment is out.
 *
 * Applied: every kind the chart renders with these values except the ServiceMonitor (the
 * fake serves no monitoring.coreos.com CRD; its shape is checked in chart.test.ts) and the
 * `helm test` pod (it asks the Service by its DNS name, and pods here have no network).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requireTestDocker } from '../helpers/docker.ts';
import { kubectl } from '../helpers/kubectl.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes/index.ts';
import { buildImage, docker as dockerCli, imageTag } from '../image/image.ts';
import { render, type K8sObject } from './helm.ts';
import { ChartKubelet } from './pod-kubelet.ts';

const minute = 60_000;
const namespace = 'pes';
const connection = requireTestDocker();
const runId = `ph${randomBytes(4).toString('hex')}`;
const metricsToken = randomBytes(16).toString('hex');
let kubelet: ChartKubelet;
let fake: FakeKubernetes | undefined;
let kubeconfig: string;
let objects: K8sObject[];

const [repository = '', tag = ''] = imageTag.split(':');

const values = {
  image: { repository, tag, pullPolicy: 'Never' },
  existingSecret: 'pes-bot-secrets',
  secretEnv: { PES_TEST_NAMED_SECRET: 'named-secret' },
  metrics: { enabled: true, tokenKey: 'metrics-token' },
  serviceMonitor: { enabled: true },
  ingress: { enabled: true, host: 'pes.example.org' },
  readinessProbe: {
    initialDelaySeconds: 1,
    periodSeconds: 1,
    timeoutSeconds: 2,
    failureThreshold: 3,
  },
  livenessProbe: {
    initialDelaySeconds: 5,
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold: 3,
  },
  config: {
    locale: 'en',
    // Resolved when the bot loads its configuration: a start proves the env reference works.
    secrets: { named: '${PES_TEST_NAMED_SECRET}' },
  },
};

async function mustKubectl(args: readonly string[], stdin?: string): Promise<string> {
  const result = await kubectl(kubeconfig, args, stdin);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  }
  return result.stdout;
}

beforeAll(async () => {
  await buildImage((line) => console.log(`image: ${line}`));
  kubelet = new ChartKubelet({
    docker: connection.docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
  });
  fake = await startFakeKubernetes({ kubelet, namespaces: [namespace] });
  kubeconfig = await fake.kubeconfigPath('lab', namespace);
  objects = await render(values, { release: 'bot', namespace });
}, 40 * minute);

afterAll(async () => {
  await fake?.close();
  const left = await connection.docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => connection.docker.getContainer(c.Id).remove({ force: true })));
  expect(left).toEqual([]);
  expect(kubelet.errors).toEqual([]);
  expect(fake?.controllerErrors ?? []).toEqual([]);
});

describe('the chart on the fake API server', () => {
  it(
    'applies with kubectl, and the bot’s pod becomes Ready by its own /readyz',
    async () => {
      // The Secret the chart refers to, made by the operator (kubectl create secret sends
      // protobuf, which the fake reads only for access reviews: the same Secret as YAML).
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'pes-bot-secrets', namespace },
        data: {
          'metrics-token': Buffer.from(metricsToken).toString('base64'),
          'named-secret': Buffer.from('not-shown').toString('base64'),
        },
      };
      await mustKubectl(['apply', '-f', '-'], stringify(secret));
      const applied = objects.filter(
        (o) =>
          o.kind !== 'ServiceMonitor' &&
          !(
            (o.metadata.annotations as Record<string, string> | undefined)?.['helm.sh/hook'] ?? ''
          ).includes('test'),
      );
      expect(applied.map((o) => o.kind).sort()).toEqual([
        'ConfigMap',
        'Deployment',
        'Ingress',
        'PersistentVolumeClaim',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ]);
      const manifest = applied.map((o) => `---\n${stringify(o)}`).join('');
      const out = await mustKubectl(['apply', '--validate=strict', '-f', '-'], manifest);
      expect(out.trim().split('\n').sort()).toEqual([
        'configmap/bot-pes-bot created',
        'deployment.apps/bot-pes-bot created',
        'ingress.networking.k8s.io/bot-pes-bot created',
        'persistentvolumeclaim/bot-pes-bot-state created',
        'role.rbac.authorization.k8s.io/bot-pes-bot created',
        'rolebinding.rbac.authorization.k8s.io/bot-pes-bot created',
        'service/bot-pes-bot created',
        'serviceaccount/bot-pes-bot created',
      ]);

      const status = await kubectl(kubeconfig, [
        'rollout',
        'status',
        'deployment/bot-pes-bot',
        '--timeout=120s',
      ]);
      if (status.code !== 0) {
        const pods = await kubectl(kubeconfig, ['get', 'pods', '-o', 'yaml']);
        const logs = await kubectl(kubeconfig, ['logs', 'deployment/bot-pes-bot']);
        throw new Error(
          `not rolled out: ${status.stderr}\npods: ${pods.stdout}\nlogs: ${logs.stdout}${logs.stderr}\n` +
            `probes: ${JSON.stringify(kubelet.probes.slice(-5))}\nkubelet: ${kubelet.errors.join('; ')}`,
        );
      }
      expect(status.stderr).toBe('');
      expect(status.stdout).toContain('deployment "bot-pes-bot" successfully rolled out');
      expect(status.code).toBe(0);

      const pods = JSON.parse(await mustKubectl(['get', 'pods', '-o', 'json'])) as {
        items: {
          metadata: { name: string };
          status: { conditions: { type: string; status: string }[] };
        }[];
      };
      expect(pods.items).toHaveLength(1);
      const pod = pods.items[0];
      expect(pod?.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      // Ready because the bot answered /readyz over HTTP inside the pod.
      const answered = kubelet.probes.filter((p) => p.kind === 'readiness' && p.ok);
      expect(answered.length).toBeGreaterThan(0);
      expect(JSON.parse(answered[0]?.body ?? '{}')).toMatchObject({ status: 'ready', state: 'ok' });
      expect(answered[0]?.path).toBe('/readyz');

      // The container runs as the chart says: uid 1000, fsGroup, read-only root, /tmp writable.
      const id = kubelet.containerOf(namespace, pod?.metadata.name ?? '');
      expect(id).toBeDefined();
      const inside = await dockerCli([
        'exec',
        id ?? '',
        'sh',
        '-c',
        'id -u; id -G; touch /tmp/ok && echo tmp-ok; touch /app/x 2>/dev/null || echo root-ro; ls /app/state',
      ]);
      const lines = inside.stdout.trim().split('\n');
      expect(lines[0]).toBe('1000');
      expect(lines[1]?.split(' ')).toContain('1000');
      expect(lines.slice(2, 4)).toEqual(['tmp-ok', 'root-ro']);
      // The state database is on the claim's volume.
      expect(lines.slice(4)).toContain('pes.db');

      // The metrics token the chart wired from the Secret's file is the one /metrics takes.
      const metrics = await dockerCli([
        'exec',
        id ?? '',
        'node',
        '-e',
        'fetch("http://127.0.0.1:8080/metrics",{headers:{authorization:"Bearer "+process.argv[1]}}).then(r=>console.log(r.status))',
        metricsToken,
      ]);
      expect(metrics.stdout.trim()).toBe('200');

      const logs = await mustKubectl(['logs', `pod/${pod?.metadata.name ?? ''}`]);
      expect(logs).not.toContain(metricsToken);
      expect(logs).not.toContain('not-shown');
    },
    5 * minute,
  );
});
