/**
 * `pes serve` on the real engine of scripts/test-env.sh removes at start the helper
 * containers a bot that died left behind, and leaves those of a live process alone.
 */
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { helperOwnerLabel } from '../../src/platforms/docker/helper-container.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

const bed = new DockerTestBed();

afterAll(async () => {
  await bed.cleanup();
});

describe('pes serve and helpers left behind', () => {
  it('removes an exited helper of a dead bot at start, never one of a live process', async () => {
    const helper = (pid: number): Record<string, string> => ({
      'pes.bot/helper': 'read-volume',
      [helperOwnerLabel]: `${hostname()}:${pid}`,
    });
    const left = await bed.createContainer({ cmd: ['true'], labels: helper(2_000_000_000) });
    const kept = await bed.createContainer({ cmd: ['true'], labels: helper(process.pid) });
    await Promise.all([left.wait(), kept.wait()]);
    const w = tempWorkdir(
      [
        'locale: en',
        'state: { path: state/pes.db }',
        `docker: { host: ${JSON.stringify(process.env['DOCKER_HOST'] ?? '')} }`,
        'services: {}',
        "roles: { admin: { members: ['local:@me'], commands: ['*'] } }",
        '',
      ].join('\n'),
    );
    const { child, output, exited } = startServe(w, { PES_PORT: String(await freePort()) });
    try {
      await waitFor(() => output().includes('listening'), 'the server to listen');
      await bed.waitFor('the left helper to be removed', () =>
        left.inspect().then(
          () => undefined,
          () => true,
        ),
      );
      expect((await kept.inspect()).State.Status).toBe('exited');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
