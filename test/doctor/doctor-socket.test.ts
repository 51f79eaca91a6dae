/**
 * The permission on the Docker socket, seen by a user who may not open it: the doctor runs
 * as `nobody` (setpriv, util-linux) against the test engine's socket (root:docker, 660) and
 * says whose socket it is and which group to join. Root opens any socket, so only another
 * user can show it; the test environment runs as root to start its engine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pesBin } from '../helpers/cli.ts';
import { requireTestDocker } from '../helpers/docker.ts';

describe('pes doctor and the Docker socket', () => {
  it('names the socket, its owner and group, and the group to join', () => {
    requireTestDocker();
    if (process.getuid?.() !== 0) {
      throw new Error('This test switches to the user nobody: run it as root (test-env does).');
    }
    const dir = mkdtempSync(join(tmpdir(), 'pes-nobody-'));
    chmodSync(dir, 0o777);
    const config = join(dir, 'pes.yaml');
    writeFileSync(config, `locale: en\nstate: { path: ${dir}/pes.db }\nservices: {}\n`);
    const socket = (process.env['DOCKER_HOST'] ?? '').replace(/^unix:\/\//, '');
    const result = spawnSync(
      'setpriv',
      ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--'].concat([
        process.execPath,
        pesBin,
        'doctor',
        '--config',
        config,
      ]),
      {
        env: { PATH: process.env['PATH'], HOME: dir, DOCKER_HOST: process.env['DOCKER_HOST'] },
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout.split('\n')).toContain(
      `✖ Docker: ${socket} cannot be opened by nobody (owner uid 0, group docker, mode 660) → Add the user to the group docker: sudo usermod -aG docker nobody, then log in again (in the systemd unit: SupplementaryGroups=docker).`,
    );
  });
});
