/**
 * The start-up sweep of the drills' scratch volumes (scratch-sweep.ts), on the real engine:
 * a dead owner's volume on this host goes; this process's own, a live process's, another
 * host's, an unnamed one and one made after the start stay.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import {
  removeLeftScratchVolumes,
  scratchOwner,
  scratchOwnerLabel,
} from '../../../src/platforms/docker/scratch-sweep.ts';
import {
  createScratchVolume,
  removeVolume,
  scratchLabel,
} from '../../../src/platforms/docker/volume-stream.ts';
import { isProcessAlive } from '../../../src/store/jobs-repo.ts';
import { requireTestDocker } from '../../helpers/docker.ts';

const connection = requireTestDocker();
const run = randomBytes(4).toString('hex');
const deadPid = spawnSync(process.execPath, ['-e', '']).pid;

async function volume(name: string, owner: string | undefined): Promise<string> {
  const full = `pes-scratch-${run}-${name}`;
  await connection.docker.createVolume({
    Name: full,
    Labels: {
      [scratchLabel]: 'true',
      'pes.test.run': run,
      ...(owner === undefined ? {} : { [scratchOwnerLabel]: owner }),
    },
  });
  return full;
}

async function ours(): Promise<string[]> {
  const { Volumes } = await connection.docker.listVolumes({
    filters: { label: [`pes.test.run=${run}`] },
  });
  return (Volumes ?? []).map((v) => v.Name).sort();
}

afterAll(async () => {
  for (const name of await ours()) await connection.docker.getVolume(name).remove();
});

describe('scratch volumes left behind', () => {
  it('removes only a dead owner’s on this host, made before the start', async () => {
    const dead = await volume('dead', `${hostname()}:${String(deadPid)}:1`);
    await volume('live', `${hostname()}:${String(process.pid)}:1`);
    await volume('far', `elsewhere:${String(deadPid)}:1`);
    await volume('own', scratchOwner);
    await volume('unnamed', undefined);
    const all = await ours();
    // As the sweep of a process that started after these were made (CreatedAt has seconds).
    const self = { owner: `${hostname()}:1:2`, startMs: Date.now() + 2000 };
    const ownNow = { owner: scratchOwner, startMs: Date.now() + 2000 };
    const removed = await removeLeftScratchVolumes(connection, isProcessAlive, undefined, ownNow);
    // (Only this run's are looked at: the engine is shared.)
    expect(removed.filter((n) => n.includes(run))).toEqual([dead]);
    expect(await ours()).toEqual(all.filter((n) => n !== dead));
    // Made after the sweeping process started: left alone even when its owner is gone.
    const later = await volume('later', `${hostname()}:${String(deadPid)}:1`);
    const early = { ...self, startMs: Date.now() - 60_000 };
    const again = await removeLeftScratchVolumes(connection, isProcessAlive, undefined, early);
    expect(again.filter((n) => n.includes(run))).toEqual([]);
    expect(await ours()).toContain(later);
  });

  it('a drill’s scratch volume names this process', async () => {
    const name = await createScratchVolume(connection, { 'pes.test.run': run });
    try {
      const info = await connection.docker.getVolume(name).inspect();
      expect(info.Labels[scratchOwnerLabel]).toBe(scratchOwner);
    } finally {
      await removeVolume(connection, name);
    }
  });
});
