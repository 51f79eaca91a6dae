/**
 * The drills' scratch volumes a bot process that is gone left (killed between making one and
 * removing it): each names the process that made it (`pes.bot/scratch-owner`:
 * `<host>:<pid>:<process start ms>`, as helpers do, helper-container.ts), and the start-up
 * sweep removes only those of a process on this host whose pid runs no more, made before
 * this process started. This process's own, a live process's (a terminal `pes` beside
 * `pes serve`), another host's and unnamed ones are left alone.
 */
import { hostname } from 'node:os';
import { requestDocker, type DockerConnection } from './client.ts';
import { removeVolume, scratchLabel } from './volume-stream.ts';

export const scratchOwnerLabel = 'pes.bot/scratch-owner';

const startMs = Math.floor(performance.timeOrigin);

/** This process, as a scratch volume names it. */
export const scratchOwner = `${hostname()}:${String(process.pid)}:${String(startMs)}`;

export interface ScratchVolumeInfo {
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly CreatedAt?: string;
}

/** Whether a scratch volume was left by a process on this host that is gone. */
export function scratchLeft(
  volume: ScratchVolumeInfo,
  isAlive: (pid: number) => boolean,
  self: { readonly owner: string; readonly startMs: number } = { owner: scratchOwner, startMs },
): boolean {
  const owner = volume.Labels?.[scratchOwnerLabel];
  if (owner === undefined || owner === self.owner) return false;
  const created = new Date(volume.CreatedAt ?? Number.NaN).getTime();
  // CreatedAt has seconds: one made in the same second as this start is taken as made after.
  if (!Number.isFinite(created) || created >= Math.floor(self.startMs / 1000) * 1000) return false;
  const [host, pid] = owner.split(':');
  return host === hostname() && /^\d+$/.test(pid ?? '') && !isAlive(Number(pid));
}

/** Removes the scratch volumes left by a process that is gone; returns their names. */
export async function removeLeftScratchVolumes(
  connection: DockerConnection,
  isAlive: (pid: number) => boolean,
  signal?: AbortSignal,
  self?: { readonly owner: string; readonly startMs: number },
): Promise<string[]> {
  const { Volumes } = await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker.listVolumes({ filters: { label: [scratchLabel] }, abortSignal }),
    signal,
  );
  const left = (Volumes ?? []).filter((v) => scratchLeft(v, isAlive, self));
  const removed: string[] = [];
  for (const v of left) {
    // One still mounted by a container (409) is not removed; the next start tries again.
    const ok = await removeVolume(connection, v.Name, signal).then(
      () => true,
      () => false,
    );
    if (ok) removed.push(v.Name);
  }
  return removed;
}
