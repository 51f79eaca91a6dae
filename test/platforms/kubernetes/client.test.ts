import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import { isUserError, type UserError } from '../../../src/core/errors.ts';
import { toUserError, type ApiAction } from '../../../src/platforms/kubernetes/api-errors.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';

/** Answers every request with the next queued status and body, and records what came. */
interface Recorder {
  readonly server: Server;
  readonly url: string;
  readonly requests: { method: string; url: string; authorization: string | undefined }[];
  answer: { code: number; body: unknown };
}

async function startRecorder(): Promise<Recorder> {
  const rec = {
    requests: [] as Recorder['requests'],
    answer: { code: 200, body: {} },
  } as Recorder;
  const server = createServer((req: IncomingMessage, res) => {
    rec.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
    res.writeHead(rec.answer.code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(rec.answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(rec, { server, url: `http://127.0.0.1:${port}` });
}

function kubeconfigText(server: string, token: string, otherServer = 'http://127.0.0.1:9'): string {
  // Plain http needs insecure-skip-tls-verify: client-node 2.x refuses it otherwise.
  return `
apiVersion: v1
kind: Config
current-context: other
clusters:
  - name: lab
    cluster: { server: '${server}', insecure-skip-tls-verify: true }
  - name: other
    cluster: { server: '${otherServer}', insecure-skip-tls-verify: true }
users:
  - name: bot
    user: { token: ${token} }
contexts:
  - name: pes@lab
    context: { cluster: lab, user: bot }
  - name: other
    context: { cluster: other, user: bot }
`;
}

function userErrorOf(error: unknown): UserError {
  if (isUserError(error)) return error;
  throw error;
}

const action: ApiAction = {
  cluster: 'lab',
  verb: 'patch',
  resource: 'deployments',
  group: 'apps',
  namespace: 'lms',
};

let rec: Recorder;
let dir: string;

beforeAll(async () => {
  rec = await startRecorder();
  dir = mkdtempSync(join(tmpdir(), 'pes-kube-'));
  // A port that was just free: nothing listens there any more.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  writeFileSync(
    join(dir, 'config'),
    kubeconfigText(rec.url, 'token-for-lab', `http://127.0.0.1:${closedPort}`),
  );
});

afterAll(() => {
  rec.server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster clients', () => {
  it('use the named context of the kubeconfig and its token', async () => {
    const clusters = new Map<string, ClusterConfig>([
      [
        'lab',
        { name: 'lab', source: 'kubeconfig', kubeconfig: join(dir, 'config'), context: 'pes@lab' },
      ],
    ]);
    rec.answer = { code: 200, body: { kind: 'Deployment', metadata: { name: 'moodle' } } };
    const clients = await new ClusterClients(clusters).get('lab');
    const deployment = await clients.apps.readNamespacedDeployment({
      name: 'moodle',
      namespace: 'lms',
    });
    expect(deployment.metadata?.name).toBe('moodle');
    expect(rec.requests.at(-1)).toEqual({
      method: 'GET',
      url: '/apis/apps/v1/namespaces/lms/deployments/moodle',
      authorization: 'Bearer token-for-lab',
    });
  });

  it('are built on first use; a broken cluster does not stop another one', async () => {
    const clusters = new Map<string, ClusterConfig>([
      [
        'gone',
        { name: 'gone', source: 'kubeconfig', kubeconfig: join(dir, 'deleted'), context: 'x' },
      ],
      [
        'lab',
        { name: 'lab', source: 'kubeconfig', kubeconfig: join(dir, 'config'), context: 'pes@lab' },
      ],
    ]);
    // Constructing reads nothing: the missing file only matters when the cluster is used.
    const registry = new ClusterClients(clusters);
    const error = userErrorOf(await registry.get('gone').catch((e: unknown) => e));
    expect(error.code).toBe('kubernetes-config-failed');
    expect(error.text('en')).toBe(
      `Cluster gone: the kubeconfig ${join(dir, 'deleted')} cannot be used: no such file.`,
    );
    expect(error.text('ru')).toBe(
      `Кластер gone: kubeconfig ${join(dir, 'deleted')} не подходит — такого файла нет.`,
    );
    expect((await registry.get('lab')).cluster).toBe('lab');
    // Not kept: once the file is there, the same registry uses it.
    writeFileSync(join(dir, 'deleted'), kubeconfigText(rec.url, 't').replace('pes@lab', 'x'));
    expect((await registry.get('gone')).cluster).toBe('gone');
  });

  it('refuse a kubeconfig that no longer has the context', async () => {
    writeFileSync(join(dir, 'changed'), kubeconfigText(rec.url, 't'));
    const clusters = new Map<string, ClusterConfig>([
      [
        'lab',
        { name: 'lab', source: 'kubeconfig', kubeconfig: join(dir, 'changed'), context: 'gone' },
      ],
    ]);
    const error = userErrorOf(
      await new ClusterClients(clusters).get('lab').catch((e: unknown) => e),
    );
    expect(error.code).toBe('kubernetes-config-failed');
    expect(error.text('ru')).toBe(
      `Кластер lab: kubeconfig ${join(dir, 'changed')} не подходит — контекст «gone» не называет ни одного кластера этого файла.`,
    );
    expect(error.text('en')).toBe(
      `Cluster lab: the kubeconfig ${join(dir, 'changed')} cannot be used: context "gone" names no cluster of the file.`,
    );
  });

  it('in a pod: need the service host and a readable token', async () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa, { recursive: true });
    const clusters = new Map<string, ClusterConfig>([
      ['here', { name: 'here', source: 'in-cluster' }],
    ]);
    const noEnv = userErrorOf(
      await new ClusterClients(clusters, { env: {}, serviceAccountDir: sa })
        .get('here')
        .catch((e: unknown) => e),
    );
    expect(noEnv.code).toBe('kubernetes-not-in-cluster');
    expect(noEnv.text('en')).toContain(
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set',
    );

    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    const noToken = userErrorOf(
      await new ClusterClients(clusters, { env, serviceAccountDir: sa })
        .get('here')
        .catch((e: unknown) => e),
    );
    expect(noToken.text('en')).toContain(
      `the service account token ${join(sa, 'token')} cannot be read`,
    );

    writeFileSync(join(sa, 'token'), 'sa-token');
    const clients = await new ClusterClients(clusters, { env, serviceAccountDir: sa }).get('here');
    expect(clients.config.getCurrentCluster()).toMatchObject({
      server: 'https://[fd00::1]:443',
      caFile: join(sa, 'ca.crt'),
      skipTLSVerify: false,
    });
    expect(clients.config.getCurrentUser()?.authProvider).toEqual({
      name: 'tokenFile',
      config: { tokenFile: join(sa, 'token') },
    });
  });
});

describe('API errors', () => {
  async function failWith(code: number, body: unknown): Promise<UserError> {
    rec.answer = { code, body };
    const clusters = new Map<string, ClusterConfig>([
      [
        'lab',
        { name: 'lab', source: 'kubeconfig', kubeconfig: join(dir, 'config'), context: 'pes@lab' },
      ],
    ]);
    const clients = await new ClusterClients(clusters).get('lab');
    const thrown = await clients.apps
      .readNamespacedDeployment({ name: 'moodle', namespace: 'lms' })
      .then(
        () => expect.fail('expected the call to fail'),
        (e: unknown) => e,
      );
    return userErrorOf(toUserError(thrown, action));
  }

  it('401 says the credentials were refused', async () => {
    const error = await failWith(401, { kind: 'Status', code: 401, reason: 'Unauthorized' });
    expect(error.code).toBe('kubernetes-unauthorized');
    expect(error.text('ru')).toContain('401');
  });

  it('403 names what to grant', async () => {
    const error = await failWith(403, {
      kind: 'Status',
      code: 403,
      reason: 'Forbidden',
      message: 'deployments.apps "moodle" is forbidden',
    });
    expect(error.text('en')).toBe(
      "The bot's account may not patch deployments in namespace lms: grant verb patch on deployments.apps.",
    );
  });

  it('another Status is shown with its reason and message', async () => {
    const error = await failWith(409, {
      kind: 'Status',
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "moodle": the object has been modified; please apply your changes to the latest version and try again',
    });
    expect(error.text('en')).toBe(
      'Cluster lab answered 409 Conflict: Operation cannot be fulfilled on deployments.apps "moodle": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('a server that does not answer is one line', async () => {
    const clusters = new Map<string, ClusterConfig>([
      [
        'lab',
        { name: 'lab', source: 'kubeconfig', kubeconfig: join(dir, 'config'), context: 'other' },
      ],
    ]);
    const clients = await new ClusterClients(clusters).get('lab');
    const thrown = await clients.core
      .listNamespacedPod({ namespace: 'lms' })
      .catch((e: unknown) => e);
    const error = userErrorOf(toUserError(thrown, action));
    expect(error.text('en')).toBe(
      'The API server of cluster lab does not answer (ECONNREFUSED); nothing was changed.',
    );
  });

  it('leaves an error that is not the API’s alone', () => {
    const bug = new TypeError('x is undefined');
    expect(toUserError(bug, action)).toBe(bug);
  });
});
