/**
 * `restore … --to <volume>` refused at the plan, before anything is made or written: a name
 * the platform would refuse, in one line in Russian and English.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import type { VolumeFiles } from '../../src/core/platform.ts';
import { planFilesRestore, type FilesDeps } from '../../src/backup/plan-files.ts';
import type { SelectedRestore } from '../../src/backup/select.ts';
import type { BackupEngine, Snapshot } from '../../src/backup/types.ts';

function service(name: string, platform: 'docker' | 'kubernetes', volumes: string[]) {
  return {
    name,
    platform,
    containers: {},
    scale: { min: 0, max: 1 },
    health: { minRunning: 1, timeoutSeconds: 60 },
    volumes,
    databases: [],
    ...(platform === 'kubernetes'
      ? {
          kubernetes: {
            cluster: 'lab',
            namespace: 'default',
            workload: { kind: 'Deployment', name },
          },
        }
      : {}),
  } as ServiceDefinition;
}

const snapshot: Snapshot = {
  id: 'a'.repeat(64),
  time: new Date('2026-01-01T00:00:00Z'),
  tags: { service: 'app', source: 'volume:data', job: 'j1', extra: [] },
  filename: '',
  kind: 'files',
};

const selected: SelectedRestore = {
  plan: {
    service: 'app',
    ref: 'latest',
    job: 'j1',
    items: [
      {
        source: 'volume:data',
        kind: 'volume',
        snapshotId: snapshot.id,
        snapshotKind: 'files',
        time: snapshot.time,
        bytes: 10,
        state: 'complete',
      },
    ],
    untouched: [],
  },
  snapshots: new Map([['volume:data', snapshot]]),
};

/** Records every call: a refused plan touches no volume at all. */
function deps(calls: string[], seen: Partial<Record<string, object>> = {}): FilesDeps {
  const files: VolumeFiles = {
    directory: () => Promise.resolve(undefined),
    open: (volume) => {
      calls.push(`open ${volume}`);
      return Promise.resolve(undefined);
    },
    inspect: (volume) => {
      calls.push(`inspect ${volume}`);
      return Promise.resolve({ exists: false, containers: [], ...seen[volume] });
    },
    create: (volume) => {
      calls.push(`create ${volume}`);
      return Promise.resolve();
    },
  };
  return {
    engine: {} as BackupEngine,
    volumes: () => files,
    containersOf: () => Promise.resolve([]),
  };
}

async function refusal(run: Promise<unknown>): Promise<UserError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UserError)) throw new Error(`not refused: ${String(error)}`);
  return error;
}

const signal = new AbortController().signal;

describe('restore --to: the name', () => {
  it('on a cluster takes a claim name (DNS-1123): Data_1 is refused in one line, nothing touched', async () => {
    const calls: string[] = [];
    const app = service('app', 'kubernetes', ['data']);
    const error = await refusal(
      planFilesRestore(deps(calls), app, selected, { to: 'Data_1' }, signal),
    );
    expect(error.code).toBe('backup-target-invalid-claim');
    for (const locale of ['ru', 'en'] as const) {
      expect(error.text(locale)).toContain('Data_1');
      expect(error.text(locale)).not.toContain('\n');
    }
    expect(error.text('en')).toContain('DNS-1123');
    expect(calls).toEqual([]);
    // A claim name passes.
    const plan = await planFilesRestore(deps(calls), app, selected, { to: 'data-1.copy' }, signal);
    expect(plan.target).toEqual({ volume: 'data-1.copy', exists: false, hasData: false });
  });

  it('on Docker keeps Docker’s rule: Data_1 is a good volume name there', async () => {
    const calls: string[] = [];
    const app = service('app', 'docker', ['data']);
    const plan = await planFilesRestore(deps(calls), app, selected, { to: 'Data_1' }, signal);
    expect(plan.target?.volume).toBe('Data_1');
  });
});

describe('restore --to: never into a volume the bot or another service uses', () => {
  const app = service('app', 'docker', ['data']);
  const moodle = service('moodle', 'docker', ['moodledata']);
  const onCluster = service('web', 'kubernetes', ['moodledata']);

  it('refuses a volume of another service of the catalog, in one line, nothing touched', async () => {
    const calls: string[] = [];
    const withCatalog = { ...deps(calls), services: () => [app, moodle, onCluster] };
    const error = await refusal(
      planFilesRestore(withCatalog, app, selected, { to: 'moodledata' }, signal),
    );
    expect(error.code).toBe('backup-target-of-service');
    expect(error.text('en')).toBe(
      'The volume "moodledata" belongs to the service moodle: --to cannot restore into it; nothing was changed.',
    );
    expect(error.text('ru')).toBe(
      'Том «moodledata» принадлежит сервису moodle: восстанавливать в него через --to нельзя; ничего не изменено.',
    );
    expect(calls).toEqual([]);
  });

  it('a claim of the same name in another namespace is not that volume', async () => {
    const calls: string[] = [];
    const elsewhere = service('other', 'kubernetes', ['moodledata']);
    const moved = {
      ...elsewhere,
      kubernetes: {
        cluster: 'lab',
        namespace: 'other',
        workload: { kind: 'Deployment', name: 'other' },
      },
    } as ServiceDefinition;
    const mine = { ...onCluster, volumes: ['data'] };
    const withCatalog = { ...deps(calls), services: () => [mine, moved] };
    const plan = await planFilesRestore(withCatalog, mine, selected, { to: 'moodledata' }, signal);
    expect(plan.target?.volume).toBe('moodledata');
  });

  for (const [reserved, code] of [
    ['repository', 'backup-target-repository'],
    ['scratch', 'backup-target-scratch'],
  ] as const) {
    it(`refuses the ${reserved} volume the platform names, opening nothing`, async () => {
      const calls: string[] = [];
      const error = await refusal(
        planFilesRestore(
          deps(calls, { keep: { exists: true, reserved } }),
          app,
          selected,
          { to: 'keep', force: true },
          signal,
        ),
      );
      expect(error.code).toBe(code);
      for (const locale of ['ru', 'en'] as const) {
        expect(error.text(locale)).toContain('keep');
        expect(error.text(locale)).not.toContain('\n');
      }
      expect(calls).toEqual(['inspect keep']);
    });
  }
});
