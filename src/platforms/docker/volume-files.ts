/**
 * A Docker volume's files as this process sees them: the engine's `Mountpoint` (volume
 * inspect), usable directly only when the engine runs on this host (a `unix://` socket) and
 * this process may read and write every file there, which takes root: a volume's files
 * belong to the application's users. Otherwise file-level access is not available here.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { VolumeFiles } from '../../core/platform.ts';
import { UserError } from '../../core/errors.ts';
import { localSite } from '../../backup/volume-access.ts';
import { helperSite, type EngineHelperSettings } from './engine-helper.ts';
import { mutateDocker, requestDocker, type DockerConnection } from './client.ts';
import { hasEngineStatus } from './container-ops.ts';
import { scratchLabel } from './volume-stream.ts';

interface VolumeInspect {
  readonly Mountpoint?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

async function inspectVolume(
  connection: DockerConnection,
  volume: string,
  signal?: AbortSignal,
): Promise<VolumeInspect | undefined> {
  try {
    return await requestDocker(
      connection,
      (abortSignal) => connection.docker.getVolume(volume).inspect({ abortSignal }),
      signal,
    );
  } catch (error) {
    if (hasEngineStatus(error, 404)) return undefined;
    throw error;
  }
}

/** Whether a mount point of the engine is a directory this process fully controls. */
async function usable(path: string, isRoot: boolean): Promise<boolean> {
  if (!isRoot) return false;
  try {
    if (!(await stat(path)).isDirectory()) return false;
    await access(path, constants.R_OK | constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function dockerVolumeFiles(
  connection: DockerConnection,
  options: {
    readonly isRoot?: () => boolean;
    /** Where the mount point is not reachable from here: the engine runs in a helper. */
    readonly engineHelper?: () => Promise<EngineHelperSettings | undefined>;
  } = {},
): VolumeFiles {
  const isRoot = options.isRoot ?? (() => process.getuid?.() === 0);
  const reach = async (
    volume: string,
    signal?: AbortSignal,
  ): Promise<{
    readonly mountpoint: string | undefined;
    readonly directory: string | undefined;
  }> => {
    const info = await inspectVolume(connection, volume, signal);
    if (info === undefined) throw new UserError('backup-volume-missing', { volume });
    const path = info.Mountpoint === '' ? undefined : info.Mountpoint;
    // Another host's path could exist here by chance and be something else entirely.
    if (!connection.host.startsWith('unix://') || path === undefined) {
      return { mountpoint: path, directory: undefined };
    }
    return { mountpoint: path, directory: (await usable(path, isRoot())) ? path : undefined };
  };
  return {
    directory: async (volume, signal) => (await reach(volume, signal)).directory,
    async open(volume, mode, signal) {
      const { mountpoint, directory } = await reach(volume, signal);
      if (directory !== undefined) return localSite(directory);
      const helper = await options.engineHelper?.();
      return helper === undefined
        ? undefined
        : helperSite(connection, helper, volume, mountpoint, mode);
    },
    async inspect(volume, signal) {
      const info = await inspectVolume(connection, volume, signal);
      if (info === undefined) return { exists: false, containers: [] };
      const users = await requestDocker(
        connection,
        (abortSignal) =>
          connection.docker.listContainers({
            all: true,
            filters: { volume: [volume] },
            abortSignal,
          }),
        signal,
      );
      // A repository on a path inside this volume (the helper's setting names it).
      const repository = (await options.engineHelper?.())?.repositoryPath;
      const mountpoint = info.Mountpoint ?? '';
      const reserved =
        repository !== undefined &&
        mountpoint !== '' &&
        (repository === mountpoint || repository.startsWith(`${mountpoint}/`))
          ? ('repository' as const)
          : info.Labels?.[scratchLabel] !== undefined
            ? ('scratch' as const)
            : undefined;
      return {
        exists: true,
        containers: users.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
        ...(reserved === undefined ? {} : { reserved }),
      };
    },
    async create(volume, labels, signal) {
      signal?.throwIfAborted();
      // A change: never aborted once asked (client.ts).
      await mutateDocker(connection, () =>
        connection.docker.createVolume({ Name: volume, Labels: { ...labels } }),
      );
    },
  };
}
