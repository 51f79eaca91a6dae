/**
 * A Docker volume as a source. Where the volume's files can be reached (`open`, the
 * Platform's volumeFiles: here, or through a helper next to the volume), the engine reads
 * and restores them file by file (run-backup.ts, run-restore.ts). Otherwise it is streamed
 * as tar straight from the volume into the engine by a helper container, with no temporary
 * copy on disk, and restored by emptying the volume and unpacking into it (the Platform's
 * readVolume / writeVolume).
 */
import type { Readable } from 'node:stream';
import type { Platform } from '../../core/platform.ts';
import type { BackupSource, ProducedStream } from '../types.ts';
import type { VolumeMode, VolumeSite } from '../volume-access.ts';

export function volumeSource(platform: Platform, volume: string): BackupSource {
  return {
    id: `volume:${volume}`,
    filename: `${volume}.tar`,
    produce: (signal?: AbortSignal): Promise<ProducedStream> => platform.readVolume(volume, signal),
    consume: (input: Readable, signal?: AbortSignal): Promise<void> =>
      platform.writeVolume(volume, input, signal),
    open: (mode: VolumeMode, signal?: AbortSignal): Promise<VolumeSite | undefined> =>
      platform.volumeFiles?.open(volume, mode, signal) ?? Promise.resolve(undefined),
  };
}
