/**
 * The order of a restore of a service on a cluster, on fakes: a database in the service's own
 * workload (left unnamed, or named by the service's own kind and name) is restored while the
 * service runs, the others after the stop; a cancel during that early part names the safety
 * snapshot; progress never goes back.
 */
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { restoredBeforeStop } from '../../src/backup/run-restore.ts';
import type { BackupStep } from '../../src/core/backup.ts';
import type { DatabaseDefinition, ServiceDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import { FakeSource, harness, type Harness } from './fakes.ts';

function database(
  name: string,
  engine: 'postgres' | 'mysql',
  workload?: { kind: 'Deployment' | 'StatefulSet'; name: string },
): DatabaseDefinition {
  return {
    name,
    engine,
    container: '',
    database: name,
    user: 'root',
    cluster: workload === undefined ? {} : { workload },
  };
}

const moodle: ServiceDefinition = {
  name: 'moodle',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 2 },
  health: { minRunning: 1, timeoutSeconds: 30 },
  volumes: [],
  databases: [
    // The service's own StatefulSet, named.
    database('app', 'postgres', { kind: 'StatefulSet', name: 'moodle' }),
    database('wiki', 'mysql', { kind: 'Deployment', name: 'mariadb' }),
  ],
  kubernetes: {
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind: 'StatefulSet', name: 'moodle' },
  },
};

/** The same service with its own database's workload left unnamed. */
const unnamedOwn: ServiceDefinition = {
  ...moodle,
  databases: [
    database('app', 'postgres'),
    database('wiki', 'mysql', { kind: 'Deployment', name: 'mariadb' }),
  ],
};

/** A source whose restore is written down among the control's calls, in order. */
class Logged extends FakeSource {
  readonly #h: () => Harness;
  onConsume: (() => void) | undefined;
  constructor(id: string, h: () => Harness) {
    super(id, `${id} v1`);
    this.#h = h;
  }
  override async consume(input: Readable, signal?: AbortSignal): Promise<void> {
    this.#h().control.calls.push(`restore ${this.id}`);
    this.onConsume?.();
    if (signal?.aborted === true) {
      // As a program ended by the cancel: the rest of the stream is not read.
      input.destroy();
      throw signal.reason;
    }
    this.data = await buffer(input);
  }
}

function setUp(): { h: Harness; app: Logged; wiki: Logged } {
  const made: { h?: Harness } = {};
  const get = (): Harness => made.h ?? expect.fail('no harness');
  const app = new Logged('postgres:app', get);
  const wiki = new Logged('mysql:wiki', get);
  const h = harness({ moodle: { sources: [app, wiki] } });
  made.h = h;
  return { h, app, wiki };
}

async function backedUp(h: Harness): Promise<void> {
  const live = new AbortController().signal;
  await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, () => undefined, live);
  h.control.calls.length = 0;
}

describe('a restore of a service on a cluster', () => {
  it('tells the service’s own workload, named or not, from another one', () => {
    const other = (kind: 'Deployment' | 'StatefulSet', name: string): ServiceDefinition => ({
      ...moodle,
      databases: [database('x', 'postgres', { kind, name })],
    });
    expect(restoredBeforeStop(other('StatefulSet', 'moodle'), 'postgres:x')).toBe(true);
    expect(restoredBeforeStop(other('Deployment', 'moodle'), 'postgres:x')).toBe(false);
    expect(restoredBeforeStop(other('StatefulSet', 'mariadb'), 'postgres:x')).toBe(false);
    const unnamed = { ...moodle, databases: [database('x', 'postgres')] };
    expect(restoredBeforeStop(unnamed, 'postgres:x')).toBe(true);
    expect(restoredBeforeStop(unnamed, 'mysql:x')).toBe(false);
  });

  it('restores a database its own workload names by name before the stop, the other after', async () => {
    const { h } = setUp();
    await backedUp(h);
    const steps: BackupStep[] = [];
    const live = new AbortController().signal;
    const plan = await h.service.planRestore(moodle, 'latest', undefined, live);
    await h.service.restore(moodle, plan, { job: '2' }, (s) => void steps.push(s), live);
    expect(h.control.calls).toEqual([
      'restore postgres:app',
      'stop moodle',
      'restore mysql:wiki',
      'start moodle',
      'wait moodle',
    ]);
  });

  it('reports progress that never goes back, the stop after the early restores included', async () => {
    const { h } = setUp();
    await backedUp(h);
    const steps: BackupStep[] = [];
    const live = new AbortController().signal;
    const plan = await h.service.planRestore(unnamedOwn, 'latest', undefined, live);
    await h.service.restore(unnamedOwn, plan, { job: '2' }, (s) => void steps.push(s), live);
    expect(h.control.calls.slice(0, 2)).toEqual(['restore postgres:app', 'stop moodle']);
    const fractions = steps.map((s) => s.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(steps.map((s) => s.phase)).toContain('stopping');
  });

  it('a cancel during a restore before the stop names the safety snapshot', async () => {
    const { h, app } = setUp();
    await backedUp(h);
    const controller = new AbortController();
    const reason = new UserError('job-cancelled', { id: 9 });
    // The cancel comes while the own database is being restored.
    app.onConsume = () => controller.abort(reason);
    const plan = await h.service.planRestore(unnamedOwn, 'latest', undefined, controller.signal);
    let caught: unknown;
    try {
      await h.service.restore(unnamedOwn, plan, { job: '3' }, () => undefined, controller.signal);
    } catch (error) {
      caught = error;
    }
    if (!(caught instanceof UserError))
      return expect.fail(`expected a UserError: ${String(caught)}`);
    expect(caught.code).toBe('backup-restore-failed-running');
    // The job reports this account instead of a bare cancel: its cause is the cancel.
    expect(caught.cause).toBe(reason);
    expect(caught.text('en')).toContain('Job 9 was cancelled');
    const safety = h.engine.stored.find((s) => s.tags.extra.includes('safety'))?.id;
    expect(safety).toBeDefined();
    expect(caught.hint('en')).toContain(`restore moodle ${safety}`);
    expect(h.control.calls).not.toContain('stop moodle');
  });
});
