/**
 * The API calls of one cluster share their TLS connections (connection-reuse.ts): client-node
 * 2.0.1 builds a new undici Agent for every request, so each call paid a TLS handshake.
 * Counted at `tls.connect`, which undici's connector calls for every new connection.
 */
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { reuseConnections } from '../../../src/platforms/kubernetes/connection-reuse.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  clients = await new ClusterClients(clusters).get('lab');
});

afterAll(async () => {
  vi.restoreAllMocks();
  await fake.close();
});

describe('API calls of one cluster', () => {
  it('share their TLS connections instead of opening one per call', async () => {
    const connect = vi.spyOn(tls, 'connect');
    for (let i = 0; i < 9; i++) {
      const list = await clients.core.listNamespacedPod({ namespace: 'lms' });
      expect(list.items).toEqual([]);
    }
    await clients.apps.listNamespacedDeployment({ namespace: 'lms' });
    // Ten calls, one after the other (the fake keeps connections alive, as an API server
    // does). undici hands a connection back to its pool a turn after the body has been
    // read, so the second call may still find the first one busy and open another: two at
    // most, against ten when every call had an agent of its own.
    expect(connect.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(connect.mock.calls.length).toBeLessThanOrEqual(2);
    connect.mockRestore();
  });
});

describe('reuseConnections', () => {
  /** The two members of KubeConfig it uses, with options the test changes. */
  function fakeConfig(): {
    config: KubeConfig;
    made: { closed: boolean }[];
    setCa: (ca: string) => void;
    request: () => unknown;
  } {
    let ca = 'ca-1';
    const made: { closed: boolean }[] = [];
    const target = {
      createDispatcherOptions: () => ({ type: 'agent', connect: { ca } }),
      createDispatcher: (): unknown => {
        const d = {
          closed: false,
          close: (): Promise<void> => {
            d.closed = true;
            return Promise.resolve();
          },
        };
        made.push(d);
        return d;
      },
    };
    const config = target as unknown as KubeConfig;
    reuseConnections(config);
    return {
      config,
      made,
      setCa: (next) => (ca = next),
      request: () => target.createDispatcher(),
    };
  }

  it('hands out the same dispatcher while the TLS options stay the same', () => {
    const { made, request } = fakeConfig();
    const first = request();
    expect(request()).toBe(first);
    expect(made).toHaveLength(1);
  });

  it('makes a new one when they change, and closes the old one', async () => {
    const { made, setCa, request } = fakeConfig();
    const first = request();
    setCa('ca-2');
    const second = request();
    expect(second).not.toBe(first);
    await vi.waitFor(() => expect(made.map((d) => d.closed)).toEqual([true, false]));
    expect(request()).toBe(second);
  });

  it('leaves a library without the factory as it is', () => {
    const config = { createDispatcherOptions: () => ({}) } as unknown as KubeConfig;
    reuseConnections(config);
    expect(Object.keys(config)).toEqual(['createDispatcherOptions']);
  });
});
