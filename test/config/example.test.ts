import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('config/pes.example.yaml', () => {
  // No --config, no PES_CONFIG and (in a checkout) no config/pes.yaml would pick the same
  // file; the flag makes the test independent of a developer's own config/pes.yaml.
  const loaded = loadConfig({
    flag: 'config/pes.example.yaml',
    env: {},
    cwd: repoRoot,
    username: 'alice',
  });

  it('loads with no secrets in the environment', () => {
    expect(loaded.path).toBe(join(repoRoot, 'config/pes.example.yaml'));
    expect(loaded.catalog.secrets).toEqual([]);
    expect(loaded.statePath).toBe(join(repoRoot, 'state/pes.db'));
    expect(loaded.server).toEqual({ host: '127.0.0.1', port: 8080, stopGraceSeconds: 60 });
    expect(loaded.docker.host).toBeUndefined();
    expect(loaded.logLevel).toBe('info');
  });

  it('describes the PES services', () => {
    const { services } = loaded.catalog;
    expect([...services.keys()]).toEqual(['moodle', 'keycloak', 'postgres', 'minio']);
    const moodle = services.get('moodle');
    expect(moodle).toMatchObject({
      name: 'moodle',
      platform: 'docker',
      containers: { compose: { project: 'pes', service: 'moodle' } },
      scale: { min: 1, max: 4 },
      volumes: ['moodledata'],
      databases: [{ name: 'moodle', engine: 'postgres', container: 'pes-postgres-1' }],
    });
    expect(services.get('postgres')?.containers).toEqual({ names: ['pes-postgres-1'] });
    expect(services.get('keycloak')?.health).toEqual({ minRunning: 1, timeoutSeconds: 180 });
  });

  it('makes the unix user running the bot an admin', () => {
    const admin = loaded.catalog.roles.find((role) => role.name === 'admin');
    expect(admin).toEqual({ name: 'admin', members: ['local:alice'], commands: ['*'] });
    expect(loaded.catalog.roles.map((role) => role.name)).toEqual([
      'admin',
      'operator',
      'oncall',
      'teacher',
    ]);
    expect(loaded.catalog.rooms).toEqual([{ name: 'terminal', address: 'terminal' }]);
  });
});
