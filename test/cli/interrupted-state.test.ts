/**
 * What the start-up says an interrupted job left its service as, in both languages, from a
 * platform that answers as Docker does (the crash tests in test/crash/ drive the real one).
 */
import { describe, expect, it } from 'vitest';
import { leftStates, type LeftStateDeps } from '../../src/cli/interrupted-state.ts';
import { UserError } from '../../src/core/errors.ts';
import type { JobRecord } from '../../src/core/jobs.ts';
import type { ContainerStatus, ServiceStatus, UpdatePlan } from '../../src/core/platform.ts';
import { service } from '../helpers/catalog.ts';

const moodle = service('moodle');
const created = new Date('2026-12-06T10:00:00Z');

function job(id: number, command: string, text: string): JobRecord {
  return {
    id,
    command,
    text,
    actor: 'local:root',
    room: 'terminal',
    service: 'moodle',
    lockKey: 'moodle',
    state: 'interrupted',
    progress: 0.5,
    progressText: undefined,
    createdAt: created,
    startedAt: created,
    finishedAt: undefined,
    result: undefined,
    cancelRequested: false,
    ownerPid: 1,
  };
}

function container(name: string, state: ContainerStatus['state']): ContainerStatus {
  return {
    name,
    id: name,
    state,
    health: 'none',
    image: 'moodle',
    tag: '4.5',
    startedAt: undefined,
    restartCount: 0,
  };
}

function deps(
  containers: readonly ContainerStatus[],
  options: {
    leftovers?: string;
    failure?: Error;
    recorded?: ReturnType<NonNullable<LeftStateDeps['recorded']>>;
  } = {},
): LeftStateDeps {
  const status: ServiceStatus = { service: 'moodle', state: 'up', containers };
  return {
    services: new Map([['moodle', moodle]]),
    platform: () => ({
      status: () => (options.failure ? Promise.reject(options.failure) : Promise.resolve(status)),
      planUpdate: (): Promise<UpdatePlan> =>
        options.leftovers === undefined
          ? Promise.resolve({ service: 'moodle', changes: [], pull: false })
          : Promise.reject(
              new UserError('update-interrupted', {
                service: 'moodle',
                containers: options.leftovers,
              }),
            ),
    }),
    recorded: () => options.recorded ?? [],
  };
}

describe('the state an interrupted job left', () => {
  it('names the containers an update set aside and rollback, in Russian and English', async () => {
    const states = await leftStates(
      [job(4, 'update', 'update moodle 4.6')],
      deps([container('moodle-1', 'created')], { leftovers: 'moodle-1.pes-old' }),
    );
    expect(states.get(4)).toEqual({
      ru: 'moodle: обновление не закончено, прежние контейнеры отложены как moodle-1.pes-old. Вернуть их: rollback moodle',
      en: 'moodle: the update did not finish; the previous containers are set aside as moodle-1.pes-old. To put them back: rollback moodle',
    });
  });

  it('says a restore cut after the stop left the service stopped, with its safety snapshot', async () => {
    const recorded = [
      // Another job of the same number in an older database: not this one's.
      { snapshotId: 'old1', job: '7-20251201T000000Z', createdAt: new Date(0), complete: true },
      // This job's safety backup, cut short: never offered.
      { snapshotId: 'cut1', job: '7-20261206T100001Z', createdAt: created, complete: false },
      { snapshotId: 'safe1', job: '7-20261206T100001Z', createdAt: created, complete: true },
    ];
    const states = await leftStates(
      [job(7, 'restore', 'restore moodle latest')],
      deps([container('moodle-1', 'exited')], { recorded }),
    );
    expect(states.get(7)?.en).toBe(
      'moodle is stopped (moodle-1 (moodle:4.5) stopped); its data may be only partly restored. ' +
        'To return to the state before the restore: restore moodle safe1; or to restore again: ' +
        'restore moodle latest',
    );
    expect(states.get(7)?.ru).toContain('restore moodle safe1');
  });

  it('says a restore stopped during its safety backup changed nothing', async () => {
    const states = await leftStates(
      [job(8, 'restore', 'restore moodle latest')],
      deps([container('moodle-1', 'running')]),
    );
    expect(states.get(8)?.en).toBe(
      'moodle is running (moodle-1 (moodle:4.5) running); the restore had changed nothing yet ' +
        '(the bot stopped during the safety backup).',
    );
  });

  it('lists a scale’s containers and says how to start one that is not running', async () => {
    const states = await leftStates(
      [job(9, 'scale', 'scale moodle 3'), job(10, 'scale', 'scale moodle 3')],
      deps([container('moodle-1', 'running'), container('moodle-2', 'created')]),
    );
    expect(states.get(9)?.en).toBe(
      'moodle is not fully running: moodle-1 (moodle:4.5) running, moodle-2 (moodle:4.5) ' +
        'created, not started. To start it: restart moodle',
    );
    expect(states.get(9)?.ru).toBe(
      'moodle работает не полностью: moodle-1 (moodle:4.5) работает, moodle-2 (moodle:4.5) ' +
        'создан, не запущен. Запустить: restart moodle',
    );
  });

  it('says a plugin install or removal was cut short, what to check, and the backup from before', async () => {
    const states = await leftStates(
      [
        job(9, 'plugin-install', 'plugin-install moodle mod_attendance'),
        job(10, 'plugin-remove', 'plugin-remove moodle mod_forum'),
      ],
      deps([container('moodle-1', 'running')], {
        recorded: [
          { snapshotId: 'b9b9b9b9', job: '9-20261206T100001Z', createdAt: created, complete: true },
        ],
      }),
    );
    expect(states.get(9)?.en).toBe(
      'moodle: "plugin-install moodle mod_attendance" was interrupted. Moodle may be left in maintenance mode, with the plugin’s folder half-copied or upgrade.php cut short; check the site (admin/cli/maintenance.php, admin/cli/upgrade.php --is-pending). The backup from before the change: restore moodle b9b9b9b9',
    );
    expect(states.get(9)?.ru).toContain('Копия до изменения: restore moodle b9b9b9b9');
    expect(states.get(10)?.en).toMatch(
      /^moodle: "plugin-remove moodle mod_forum" was interrupted\. .*--is-pending\)\.$/,
    );
  });

  it('says when the state cannot be read, and nothing for a job that changes no service', async () => {
    const states = await leftStates(
      [job(11, 'restart', 'restart moodle'), job(12, 'status', 'status moodle')],
      deps([], { failure: new Error('connect ENOENT /var/run/docker.sock') }),
    );
    expect(states.get(11)?.en).toBe(
      'The state of moodle could not be read (connect ENOENT /var/run/docker.sock); ' +
        'check it: status moodle',
    );
    expect(states.has(12)).toBe(false);
  });
});
