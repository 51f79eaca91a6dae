/**
 * One connection pool per cluster instead of one per request. client-node 2.0.1 builds a new
 * undici Agent in every `applySecurityAuthentication` (its `createDispatcher`, dist/config.js;
 * `createAgent` beside it caches, this one does not), so every API call and every watch
 * opened its own TLS connection: a handshake and a new secure context (the CA parsed again)
 * per call, on both ends. `pes status` of 20 services made 40 of them
 * (`npm run bench:kubernetes`).
 *
 * The Agent is kept as long as the TLS options the library derives for the request stay the
 * same (CA, client certificate and key, server name, verification, proxy): a client
 * certificate that an exec plugin renews, or a kubeconfig whose CA changes, gets a new pool,
 * and the old one is closed once its requests are done. Credentials sent as headers (tokens)
 * are still applied per request by the library.
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

interface Closable {
  close(): Promise<void>;
}

/** The library's private factory, as it is in client-node 2.0.1 (dist/config.js). */
type MakeDispatcher = (cluster: unknown, agentOptions: unknown) => Closable | undefined;

interface WithDispatcherFactory {
  createDispatcher?: MakeDispatcher;
}

/** What the options say, hashed: they hold the CA and possibly a client key. */
function fingerprint(options: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(options) ?? '')
    .digest('hex');
}

/**
 * Makes `config` hand out the same dispatcher for as long as its TLS options do not change.
 * A library without the factory (another version) is left as it is: slower, still correct.
 */
export function reuseConnections(config: KubeConfig): void {
  const target = config as unknown as WithDispatcherFactory;
  const make = target.createDispatcher;
  if (typeof make !== 'function') return;
  let kept: { readonly key: string; readonly dispatcher: Closable | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = fingerprint(
      config.createDispatcherOptions(
        cluster as Parameters<KubeConfig['createDispatcherOptions']>[0],
        agentOptions as Parameters<KubeConfig['createDispatcherOptions']>[1],
      ),
    );
    if (kept === undefined || kept.key !== key) {
      // Closing waits for the requests under way (a watch included), then ends its sockets.
      void kept?.dispatcher?.close().catch(() => undefined);
      kept = { key, dispatcher: make.call(config, cluster, agentOptions) };
    }
    return kept.dispatcher;
  };
}
