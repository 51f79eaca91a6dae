/**
 * The test engine reached as `tcp://127.0.0.1:<port>`, as a bot on another host reaches a
 * remote engine: a plain byte relay to the engine's unix socket (attach and exec upgrades
 * pass through as they are). The bot then cannot read a volume's mount point itself.
 */
import net from 'node:net';

export interface TcpEngine {
  readonly host: string;
  close(): Promise<void>;
}

export async function tcpEngine(unixHost: string): Promise<TcpEngine> {
  const path = unixHost.replace(/^unix:\/\//, '');
  const sockets = new Set<net.Socket>();
  // Half-open: the client's EOF (a closed stdin) must not cut the engine's answer.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const engine = net.connect({ path, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(engine);
    const end = (): void => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', end);
    engine.on('error', end);
    client.on('close', () => sockets.delete(client));
    engine.on('close', () => sockets.delete(engine));
    client.pipe(engine);
    engine.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `tcp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
