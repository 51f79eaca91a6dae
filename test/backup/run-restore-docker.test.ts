/**
 * The order of a restore of a service on Docker, on fakes: a database or command that runs
 * in one of the service's own containers (as the control finds them, one look) is restored
 * while the service runs, since a stopped container runs no exec; one in another container,
 * or on the bot's machine, after the stop. A failure there leaves the service running and
 * names the safety snapshot; progress never goes back.
 */
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { execContainers, isOneOf } from '../../src/backup/own-containers.ts';
import type { ServiceContainer, ServiceControl } from '../../src/backup/plan.ts';
import type { BackupStep } from '../../src/core/backup.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import { service } from '../helpers/catalog.ts';
import { FakeSource, harness, type Harness } from './fakes.ts';

const appId = 'a1b2c3d4e5f6'.padEnd(64, '0');

const moodle: ServiceDefinition = service('moodle', {
  databases: [
    { name: 'app', engine: 'postgres', container: 'pes-postgres-1', database: 'app', user: 'u' },
    {
      name: 'wiki',
      engine: 'mysql',
      container: 'pes-moodle-1',
      database: 'wiki',
      user: 'u',
      via: 'tcp',
      host: '127.0.0.1',
      port: 3306,
    },
  ],
  backup: {
    commands: [
      { name: 'code', container: 'pes-moodle-1', backup: ['tar', '-c'], restore: ['tar', '-x'] },
      { name: 'cache', container: 'pes-redis-1', backup: ['cat'], restore: ['cat'] },
      { name: 'local', backup: ['cat'], restore: ['cat'] },
    ],
  },
});

/** A source whose restore is written down among the control's calls, in order. */
class Logged extends FakeSource {
  readonly #h: () => Harness;
  failWith: Error | undefined;
  constructor(id: string, h: () => Harness) {
    super(id, `${id} v1`);
    this.#h = h;
  }
  override async consume(input: Readable): Promise<void> {
    this.#h().control.calls.push(`restore ${this.id}`);
    if (this.failWith !== undefined) {
      input.destroy();
      throw this.failWith;
    }
    this.data = await buffer(input);
  }
}

const ids = ['postgres:app', 'mysql:wiki', 'command:code', 'command:cache', 'command:local'];

interface Bed {
  readonly h: Harness;
  readonly sources: ReadonlyMap<string, Logged>;
}

/**
 * The harness with its control able to list the service's containers (as the Docker
 * platform's), unless `containers` is undefined (a platform without such a list).
 */
function setUp(
  containers: (() => Promise<readonly ServiceContainer[]>) | undefined,
  sourceIds: readonly string[] = ids,
): Bed {
  const made: { h?: Harness } = {};
  const get = (): Harness => made.h ?? expect.fail('no harness');
  const sources = new Map(sourceIds.map((id) => [id, new Logged(id, get)]));
  const h = harness({ moodle: { sources: [...sources.values()] } });
  made.h = h;
  if (containers !== undefined) {
    const control: ServiceControl = h.control;
    control.containers = (s) => {
      h.control.calls.push(`containers ${s.name}`);
      return containers();
    };
  }
  return { h, sources };
}

const own = (): Promise<ServiceContainer[]> =>
  Promise.resolve([
    { id: appId, name: 'pes-moodle-1' },
    { id: 'f'.repeat(64), name: 'pes-moodle-2' },
  ]);

async function backedUp(h: Harness): Promise<void> {
  const live = new AbortController().signal;
  await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, () => undefined, live);
  h.control.calls.length = 0;
}

async function restore(
  h: Harness,
  steps: BackupStep[] = [],
  svc: ServiceDefinition = moodle,
): Promise<unknown> {
  const live = new AbortController().signal;
  const plan = await h.service.planRestore(svc, 'latest', undefined, live);
  return h.service
    .restore(svc, plan, { job: '2' }, (s) => void steps.push(s), live)
    .then(
      () => undefined,
      (error: unknown) => error,
    );
}

describe('a restore of a service on Docker', () => {
  it('knows where each source runs: exec databases and commands with a container', () => {
    expect([...execContainers(moodle)]).toEqual([
      ['postgres:app', 'pes-postgres-1'],
      ['command:code', 'pes-moodle-1'],
      ['command:cache', 'pes-redis-1'],
    ]);
    const containers = [{ id: appId, name: 'pes-moodle-1' }];
    expect(isOneOf('pes-moodle-1', containers)).toBe(true);
    expect(isOneOf('pes-moodle-2', containers)).toBe(false);
    // By id, or by the prefix `docker ps` shows, as the engine takes them.
    expect(isOneOf(appId, containers)).toBe(true);
    expect(isOneOf('a1b2c3d4e5f6', containers)).toBe(true);
    // A short name made of hex digits is a name, not an id's prefix.
    expect(isOneOf('a1b2c3', containers)).toBe(false);
  });

  it('restores a command in its own container before the stop, the rest after', async () => {
    const { h, sources } = setUp(own);
    await backedUp(h);
    for (const source of sources.values()) source.data = Buffer.from('changed');
    const steps: BackupStep[] = [];
    expect(await restore(h, steps)).toBeUndefined();
    expect(h.control.calls).toEqual([
      'containers moodle',
      'restore command:code',
      'stop moodle',
      'restore postgres:app',
      'restore mysql:wiki',
      'restore command:cache',
      'restore command:local',
      'start moodle',
      'wait moodle',
    ]);
    for (const [id, source] of sources) expect(source.data.toString()).toBe(`${id} v1`);
    const fractions = steps.map((s) => s.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const phases = steps.filter((s) => s.phase !== 'safety').map((s) => s.phase);
    expect(phases.indexOf('stopping')).toBe(1);
  });

  it('restores a database in its own container before the stop', async () => {
    const { h } = setUp(() =>
      Promise.resolve([
        { id: appId, name: 'pes-moodle-1' },
        { id: 'e'.repeat(64), name: 'pes-postgres-1' },
      ]),
    );
    await backedUp(h);
    await restore(h);
    expect(h.control.calls.slice(0, 4)).toEqual([
      'containers moodle',
      'restore postgres:app',
      'restore command:code',
      'stop moodle',
    ]);
  });

  it('looks for the containers only when a source runs in one, and never without a list', async () => {
    const bare = setUp(own, ['command:local', 'mysql:wiki']);
    await backedUp(bare.h);
    await restore(bare.h);
    expect(bare.h.control.calls).toEqual([
      'stop moodle',
      'restore command:local',
      'restore mysql:wiki',
      'start moodle',
      'wait moodle',
    ]);
    // A control with no list of containers (a cluster): everything after the stop, as before.
    const none = setUp(undefined);
    await backedUp(none.h);
    await restore(none.h);
    expect(none.h.control.calls[0]).toBe('stop moodle');
  });

  it('a failure before the stop leaves the service running and names the safety snapshot', async () => {
    const { h, sources } = setUp(own);
    await backedUp(h);
    const code = sources.get('command:code') ?? expect.fail('no code');
    // As the engine says it; the template ends the sentence itself.
    code.failWith = new UserError('docker-error', { reason: 'Container x is not running' });
    const caught = await restore(h);
    if (!(caught instanceof UserError)) return expect.fail(`not a UserError: ${String(caught)}`);
    expect(caught.code).toBe('backup-restore-failed-running');
    expect(h.control.calls).toEqual(['containers moodle', 'restore command:code']);
    const safety = h.engine.stored.find((s) => s.tags.extra.includes('safety'))?.id;
    expect(safety).toBeDefined();
    expect(caught.hint('en')).toContain(`restore moodle ${safety}`);
    expect(caught.text('en')).toContain('Container x is not running. ');
    expect(caught.text('en')).not.toContain('..');
    expect(caught.text('ru')).not.toContain('..');
  });

  it('a failure after the stop ends the engine’s sentence once', async () => {
    const { h, sources } = setUp(own);
    await backedUp(h);
    const cache = sources.get('command:cache') ?? expect.fail('no cache');
    cache.failWith = new UserError('docker-error', { reason: 'Container y is not running' });
    const caught = await restore(h);
    if (!(caught instanceof UserError)) return expect.fail(`not a UserError: ${String(caught)}`);
    expect(caught.code).toBe('backup-restore-failed');
    expect(caught.text('en')).toContain('Container y is not running. The service was started');
    expect(caught.text('ru')).not.toContain('..');
  });

  it('a failed look for the containers is a failure before the stop', async () => {
    const { h } = setUp(() => Promise.reject(new Error('engine gone')));
    await backedUp(h);
    const caught = await restore(h);
    if (!(caught instanceof UserError)) return expect.fail(`not a UserError: ${String(caught)}`);
    expect(caught.code).toBe('backup-restore-failed-running');
    expect(h.control.calls).toEqual(['containers moodle']);
  });
});
