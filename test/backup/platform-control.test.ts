/** Waiting for a restored service to be healthy again. */
import { describe, expect, it } from 'vitest';
import { platformControl, type StartStopPlatform } from '../../src/backup/platform-control.ts';
import type { ContainerStatus, ServiceStatus } from '../../src/core/platform.ts';
import { UserError } from '../../src/core/errors.ts';
import { service } from '../helpers/catalog.ts';

function container(
  health: ContainerStatus['health'],
  state: ContainerStatus['state'] = 'running',
): ContainerStatus {
  return {
    name: 'moodle-1',
    id: 'x',
    state,
    health,
    image: 'moodle',
    tag: '1',
    startedAt: undefined,
    restartCount: 0,
  };
}

function platform(sequence: ContainerStatus[][], calls: string[]): StartStopPlatform {
  let i = 0;
  return {
    stopService: (s) => Promise.resolve(calls.push(`stop ${s.name}`)),
    startService: (s) => Promise.resolve(calls.push(`start ${s.name}`)),
    status: (s): Promise<ServiceStatus> => {
      const containers = sequence[Math.min(i++, sequence.length - 1)] ?? [];
      return Promise.resolve({ service: s.name, state: 'up', containers });
    },
  };
}

describe('platformControl', () => {
  it('waits through starting until every container is healthy', async () => {
    const calls: string[] = [];
    const control = platformControl(
      platform([[container('starting')], [container('starting')], [container('healthy')]], calls),
      { pollMs: 5 },
    );
    await control.stop(service('moodle'));
    await control.start(service('moodle'));
    await control.waitHealthy(service('moodle'));
    expect(calls).toEqual(['stop moodle', 'start moodle']);
  });

  it('gives up after the service’s health timeout with its containers’ states', async () => {
    const control = platformControl(platform([[container('unhealthy')]], []), { pollMs: 5 });
    const slow = service('moodle', { health: { minRunning: 1, timeoutSeconds: 0.05 } });
    const error = await control.waitHealthy(slow).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).text('en')).toBe(
      'moodle did not become healthy within 0.05 s (state: moodle-1 running/unhealthy).',
    );
  });
});
