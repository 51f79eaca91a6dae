/**
 * `restore <service> latest` of a service whose command source runs in the service's own
 * container (the example configuration's `code`: tar in `pes-moodle-1`), on the real engine
 * of scripts/test-env.sh with restic: that source is put back before the stop, since a
 * stopped container runs no exec, and its files come back byte for byte; a command source in
 * another container is still put back after the stop; the service runs again. The order is
 * read from the engine's own event log (each exec's start, the container's stop and start).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { service } from '../helpers/catalog.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';
import { backupBot, type BackupBot } from './backup-helpers.ts';

const admin = 'local:root';

// A backup and a restore with its safety backup, stop, start and health wait, on a shared
// machine with 2 cores.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

/** Names, modes, sizes and checksums of every file under `dir`, sorted. */
const listingOf = (dir: string): string =>
  `cd ${dir} && find . | sort | while read -r f; do stat -c "%n %a %s %F" "$f"; done && ` +
  'find . -type f | sort | xargs md5sum';

interface EngineEvent {
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes?: Record<string, string> };
  readonly timeNano: number;
}

let bed: DockerTestBed;
let dir: string;
let b: BackupBot;
let svc: ServiceDefinition;
let app: string;
let store: string;

async function sh(container: string, script: string): Promise<string> {
  const result = await b.platform.exec(container, ['sh', '-c', script], {});
  if (result.exitCode !== 0) throw new Error(`${script}: ${result.exitCode} ${result.stderr}`);
  return result.stdout;
}

/** What the engine recorded of the two containers from `since` (ms) until now, in order. */
async function events(since: number): Promise<EngineEvent[]> {
  const stream = await bed.docker.getEvents({
    since: Math.floor(since / 1000) - 1,
    until: Math.ceil(Date.now() / 1000),
    filters: { container: [app, store] },
  });
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent)
    .filter((e) => e.timeNano >= since * 1_000_000)
    .sort((x, y) => x.timeNano - y.timeNano);
}

beforeAll(async () => {
  bed = new DockerTestBed();
  dir = mkdtempSync(join(tmpdir(), 'pes-own-container-'));
  const project = bed.project('bench');
  app = bed.containerName('bench');
  store = bed.containerName('store');
  await bed.createContainer({
    name: app,
    image: appImage(1),
    compose: { project, service: 'bench' },
    config: { StopTimeout: 1 },
  });
  // Not one of the service's containers (say, its database's): it keeps running.
  await bed.createContainer({ name: store, config: { StopTimeout: 1 } });
  svc = service('bench', {
    containers: { compose: { project, service: 'bench' } },
    health: { minRunning: 1, timeoutSeconds: 30 },
    backup: {
      commands: [
        {
          name: 'code',
          container: app,
          backup: ['tar', '-c', '-f', '-', '-C', '/srv', 'code'],
          restore: ['tar', '-x', '-f', '-', '-C', '/srv'],
        },
        {
          name: 'store',
          container: store,
          backup: ['tar', '-c', '-f', '-', '-C', '/', 'keep'],
          restore: ['tar', '-x', '-f', '-', '-C', '/'],
        },
      ],
    },
  });
  b = backupBot(bed, [svc], { engine: 'restic', repository: join(dir, 'repo') });
});

afterAll(async () => {
  await bed?.cleanup();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('a restore of a service with command sources in containers (restic)', () => {
  let code: string;
  let kept: string;
  let restore: Awaited<ReturnType<BackupBot['t']['run']>>;
  let seen: EngineEvent[];
  let appId: string;
  let storeId: string;

  beforeAll(async () => {
    await sh(
      app,
      'mkdir -p /srv/code/sub && echo "<?php echo 1;" > /srv/code/index.php && ' +
        'chmod 640 /srv/code/index.php && ' +
        'dd if=/dev/urandom of=/srv/code/sub/blob bs=1024 count=300 2>/dev/null',
    );
    await sh(
      store,
      'mkdir -p /keep && dd if=/dev/urandom of=/keep/data bs=1024 count=50 2>/dev/null',
    );
    code = await sh(app, listingOf('/srv/code'));
    kept = await sh(store, listingOf('/keep'));
    expect(code).toContain('./sub/blob 644 307200');
    appId = (await bed.docker.getContainer(app).inspect()).Id;
    storeId = (await bed.docker.getContainer(store).inspect()).Id;

    expect((await b.t.run(admin, 'backup bench')).status).toBe('ok');
    await sh(
      app,
      'echo changed > /srv/code/index.php && rm /srv/code/sub/blob && ' +
        'dd if=/dev/zero of=/srv/code/sub/blob bs=1024 count=2 2>/dev/null',
    );
    await sh(store, 'echo changed > /keep/data');
    expect(await sh(app, listingOf('/srv/code'))).not.toBe(code);

    const started = Date.now();
    restore = await b.t.run(admin, 'restore bench latest', { preconfirmed: true });
    seen = await events(started);
  });

  /** Where the first event `what` is in the engine's log of the restore. */
  const at = (what: (e: EngineEvent) => boolean, name: string): number => {
    const index = seen.findIndex(what);
    if (index < 0) expect.fail(`no ${name} among ${seen.map((e) => e.Action).join(' | ')}`);
    return index;
  };
  const untar = (id: string) => (e: EngineEvent) =>
    e.Actor.ID === id && e.Action.startsWith('exec_start: tar -x');
  const stop = (e: EngineEvent): boolean => e.Actor.ID === appId && e.Action === 'die';
  const start = (e: EngineEvent): boolean => e.Actor.ID === appId && e.Action === 'start';

  it('restores a source in the service’s own container before the stop, byte for byte; the service runs', async () => {
    expect(restore.message.text ?? '').not.toContain('..');
    expect(restore.status, restore.message.text).toBe('ok');
    expect(await sh(app, listingOf('/srv/code'))).toBe(code);
    expect((await bed.docker.getContainer(app).inspect()).State.Running).toBe(true);
    expect((await b.t.run(admin, 'status bench')).status).toBe('ok');
    expect(at(untar(appId), 'restore of code')).toBeLessThan(at(stop, 'stop'));
  });

  it('restores a source in another container after the stop, as before', async () => {
    expect(restore.status, restore.message.text).toBe('ok');
    expect(await sh(store, listingOf('/keep'))).toBe(kept);
    const restored = at(untar(storeId), 'restore of store');
    expect(at(stop, 'stop')).toBeLessThan(restored);
    expect(restored).toBeLessThan(at(start, 'start'));
  });
});
