import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Runs in a fresh Node process: the module cache of a vitest worker is shared with other
 * test files and would hide what the bot's own import loads.
 */
function probe(script: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

const loaded = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url + '/');
const paths = () => Object.keys(require.cache);
const has = (part) => paths().some((p) => p.includes(part));
`;

describe('dockerode parts deferred until used', () => {
  it('loads neither the BuildKit session (gRPC) nor ssh2 at the import of the client', () => {
    const result = probe(`${loaded}
      await import('${process.cwd()}/src/platforms/docker/client.ts');
      console.log(JSON.stringify({ dockerode: has('/dockerode/lib/docker.js'), grpc: has('/@grpc/grpc-js/'), ssh2: has('/ssh2/') }));`);
    expect(result).toEqual({ dockerode: true, grpc: false, ssh2: false });
  });

  it('loads the real ssh agent at its first use, and hands the call on', () => {
    const result = probe(`${loaded}
      await import('${process.cwd()}/src/platforms/docker/client.ts');
      const modem = createRequire(require.resolve('dockerode'));
      const ssh = modem(modem.resolve('docker-modem/lib/ssh.js'));
      const agent = ssh({ host: '127.0.0.1' });
      console.log(JSON.stringify({ ssh2: has('/ssh2/'), agent: typeof agent.createConnection }));`);
    expect(result).toEqual({ ssh2: true, agent: 'function' });
  });

  it('loads the real session module at its first use, and hands the call on', () => {
    const result = probe(`${loaded}
      await import('${process.cwd()}/src/platforms/docker/client.ts');
      const modem = createRequire(require.resolve('dockerode'));
      const withSession = modem(modem.resolve('dockerode/lib/session.js'));
      let dialled;
      const error = await new Promise((resolve) =>
        withSession({ modem: { dial: (opts, cb) => { dialled = opts.path; cb(new Error('refused')); } } }, undefined, (err) => resolve(err.message)));
      console.log(JSON.stringify({ grpc: has('/@grpc/grpc-js/'), dialled, error }));`);
    expect(result).toEqual({ grpc: true, dialled: '/session', error: 'refused' });
  });
});
