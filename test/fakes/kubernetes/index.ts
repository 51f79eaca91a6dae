/**
 * A fake Kubernetes API server for tests, on 127.0.0.1 only, held to account by the real
 * kubectl (test/fakes/kubernetes/kubectl.test.ts). See README.md in this folder for what it
 * serves and where it is simpler than a cluster. Each file cites the API reference page it
 * follows.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALLOW_ALL, type Rule } from './access.ts';
import { scaledClock, type Clock } from './clock.ts';
import { ControllerManager } from './controllers/manager.ts';
import { ExecServer } from './exec.ts';
import { InMemoryKubelet, type Kubelet } from './kubelet.ts';
import { resourceByName } from './resources.ts';
import { ApiHandler, type RequestRecord } from './server.ts';
import { ObjectStore } from './store.ts';
import { makeServingCert } from './tls.ts';

export { ALLOW_ALL, type Rule } from './access.ts';
export { ManualClock, scaledClock, type Clock } from './clock.ts';
export { DockerKubelet, type DockerKubeletOptions } from './docker-kubelet.ts';
export { InMemoryKubelet, type ExecStreams, type Kubelet, type KubeletHost } from './kubelet.ts';
export { resourceByName, RESOURCES, type ResourceType } from './resources.ts';
export type { RequestRecord } from './server.ts';
export { ObjectStore, type StoreEvent } from './store.ts';
export type { Json, JsonObject } from './json.ts';

export interface FakeKubernetesOptions {
  /** Time for controllers and kubelet; default: real time times `timeScale`. */
  readonly clock?: Clock;
  /** Virtual seconds per real second when no clock is given (default 1). */
  readonly timeScale?: number;
  /** Where pods run; default: an InMemoryKubelet. */
  readonly kubelet?: Kubelet;
  /** The bearer token the server accepts; default "fake-token". */
  readonly token?: string;
  /** The user name the token stands for (in 403 messages). */
  readonly user?: string;
  /** What the user may do; default: everything. */
  readonly rules?: readonly Rule[];
  /** Real milliseconds between BOOKMARK events of a watch that allows them (default 1000). */
  readonly bookmarkIntervalMs?: number;
  /** Run the controllers and the kubelet (default true); false leaves objects as written. */
  readonly controllers?: boolean;
  /** Namespaces that exist at start besides default, kube-system, kube-public. */
  readonly namespaces?: readonly string[];
}

export interface FakeKubernetes {
  readonly url: string;
  /** The PEM certificate the server presents (it is its own CA). */
  readonly caCertificate: string;
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** Every request served, in order (method, path, query, content type, body, status). */
  readonly requests: readonly RequestRecord[];
  /** Errors the controllers threw (a bug of the fake): tests can assert it stays empty. */
  readonly controllerErrors: readonly Error[];
  /** Writes a kubeconfig for this server (one context, named as given) and returns its path. */
  kubeconfigPath(context?: string, namespace?: string): Promise<string>;
  /** Replaces the rule set that answers requests (403) and SelfSubjectAccessReviews. */
  setRules(rules: readonly Rule[]): void;
  /** Changes the accepted token (a token the server no longer accepts gets 401). */
  setToken(token: string | undefined): void;
  /** Forgets the watch history: watches from an older resourceVersion get 410 Gone. */
  compact(): void;
  /** Ends every open watch, as a dropped connection does. */
  cutWatches(): void;
  close(): Promise<void>;
}

export async function startFakeKubernetes(
  options: FakeKubernetesOptions = {},
): Promise<FakeKubernetes> {
  const clock = options.clock ?? scaledClock(options.timeScale ?? 1);
  const store = new ObjectStore(clock);
  const namespaces = resourceByName('namespaces');
  for (const ns of ['default', 'kube-system', 'kube-public', ...(options.namespaces ?? [])]) {
    store.create(namespaces, '', { metadata: { name: ns } });
  }
  const token = options.token ?? 'fake-token';
  const kubelet =
    options.controllers === false ? undefined : (options.kubelet ?? new InMemoryKubelet());
  const handler = new ApiHandler({
    kubelet,
    store,
    clock,
    token,
    user: options.user ?? 'system:serviceaccount:pes:pes-bot',
    rules: options.rules ?? ALLOW_ALL,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
  });
  const controllers =
    kubelet === undefined ? undefined : new ControllerManager(store, clock, kubelet);
  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-'));
  const tls = await makeServingCert(dir);
  const server = createServer(tls, (req, res) => handler.handle(req, res));
  const exec = new ExecServer(() => ({
    store,
    token: handler.settings.token,
    user: handler.settings.user,
    rules: handler.settings.rules,
    kubelet,
  }));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    exec.upgrade(req, socket, head),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  let files = 0;
  return {
    url,
    caCertificate: tls.cert.toString('utf8'),
    store,
    clock,
    requests: handler.requests,
    controllerErrors: controllers?.errors ?? [],
    async kubeconfigPath(context = 'fake', namespace = 'default') {
      files += 1;
      const path = join(dir, `kubeconfig-${files}.yaml`);
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'fake',
            cluster: { server: url, 'certificate-authority-data': tls.cert.toString('base64') },
          },
        ],
        users: [{ name: 'fake-user', user: { token } }],
        contexts: [{ name: context, context: { cluster: 'fake', user: 'fake-user', namespace } }],
        'current-context': context,
        preferences: {},
      };
      await writeFile(path, JSON.stringify(config, null, 2), { mode: 0o600 });
      return path;
    },
    setRules(rules) {
      handler.settings.rules = rules;
    },
    setToken(next) {
      handler.settings.token = next;
    },
    compact: () => store.compact(),
    cutWatches: () => handler.cutWatches(),
    async close() {
      handler.cutWatches();
      exec.close();
      await controllers?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
