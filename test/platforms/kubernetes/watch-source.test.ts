/**
 * The list + watch of a workload against an API server that takes requests and never
 * answers some of them (a hung server or proxy): the wait must still end at its deadline.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { waitFor } from '../../../src/platforms/kubernetes/watch.ts';
import { workloadSource } from '../../../src/platforms/kubernetes/watch-source.ts';

let server: Server;
let dir: string;
let clients: KubeClients;
/** Which requests are held without an answer. */
let hang: 'list' | 'watch' = 'list';
const held: ServerResponse[] = [];
/** Settles when a held request's connection is closed by the client. */
const closed: Promise<void>[] = [];
const seen: string[] = [];

const web: KubernetesServiceDefinition = {
  name: 'web',
  platform: 'kubernetes',
  cluster: 'lab',
  namespace: 'lms',
  workload: { kind: 'Deployment', name: 'web' },
  scale: { min: 1, max: 4 },
  health: { minRunning: 1, timeoutSeconds: 1 },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const watch = /[?&]watch=true/.test(req.url ?? '');
    seen.push(watch ? 'watch' : 'list');
    if ((watch ? 'watch' : 'list') === hang) {
      held.push(res);
      closed.push(new Promise((resolve) => res.on('close', () => resolve())));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'DeploymentList',
        apiVersion: 'apps/v1',
        metadata: { resourceVersion: '7' },
        items: [],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  dir = mkdtempSync(join(tmpdir(), 'pes-kube-hang-'));
  // Plain http needs insecure-skip-tls-verify: client-node 2.x refuses it otherwise.
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1
kind: Config
current-context: lab
clusters:
  - name: lab
    cluster: { server: 'http://127.0.0.1:${port}', insecure-skip-tls-verify: true }
users:
  - name: bot
    user: { token: t }
contexts:
  - name: lab
    context: { cluster: lab, user: bot, namespace: lms }
`,
  );
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: join(dir, 'config'), context: 'lab' }],
  ]);
  clients = await new ClusterClients(clusters).get('lab');
});

afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('a wait on a server that does not answer', () => {
  for (const what of ['list', 'watch'] as const) {
    it(`ends at its deadline when the ${what} is never answered`, async () => {
      hang = what;
      seen.length = 0;
      const source = workloadSource(clients, web, 'Deployment', 'web');
      const result = await waitFor(source, () => undefined, { timeoutMs: 500 });
      expect(result).toEqual({ done: false });
      expect(seen).toContain(what);
    }, 15_000);
  }

  it('aborts the list request itself, not only the wait for it', async () => {
    hang = 'list';
    closed.length = 0;
    const source = workloadSource(clients, web, 'Deployment', 'web');
    await expect(source.list(AbortSignal.timeout(300))).rejects.toThrow();
    // The client closes the connection: the signal reached the request.
    await closed[0];
  }, 15_000);
});
