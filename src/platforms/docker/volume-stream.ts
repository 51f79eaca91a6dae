/**
 * Volumes as tar streams, through a helper container (helper-container.ts) that mounts the
 * volume: no temporary copy on disk. The helper image needs only `tar`, `find` and `rm`
 * (busybox has them); `--numeric-owner` keeps owners by number, since the helper's
 * /etc/passwd is not the application's.
 */
import { randomBytes } from 'node:crypto';
import type { MountSettings } from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { StreamedOutput } from '../../core/platform.ts';
import { requestDocker, type DockerConnection } from './client.ts';
import { hasEngineStatus } from './container-ops.ts';
import { runHelper } from './helper-container.ts';
import { lastLines, producedStream } from '../../streams/produced.ts';

/** Where the helper sees the volume. */
const mountPoint = '/volume';

/** The default `backup.helperImage`: any image with tar, find and rm will do. */
export const defaultHelperImage = 'busybox:1.36';

/** Labels of a restore drill's scratch volume, besides the caller's. */
export const scratchLabel = 'pes.bot/scratch';

/**
 * What empties a directory in the helper image, itself kept: busybox's find has no -delete.
 * Exported for bench/backup.ts, which does by hand what the bot does.
 */
export function emptyingCommand(directory: string): string[] {
  return ['find', directory, '-mindepth', '1', '-maxdepth', '1', '-exec', 'rm', '-rf', '{}', '+'];
}

export async function readVolume(
  connection: DockerConnection,
  image: string,
  volume: string,
  signal?: AbortSignal,
): Promise<StreamedOutput> {
  // A mount of a missing volume would create it empty, and back up nothing as if it were all.
  await requireVolume(connection, volume, signal);
  const stream = new PassThrough();
  const finished = runHelper(
    connection,
    {
      image,
      cmd: ['tar', '-c', '-f', '-', '--numeric-owner', '-C', mountPoint, '.'],
      mounts: [{ Type: 'volume', Source: volume, Target: mountPoint, ReadOnly: true }],
      stdout: stream,
      purpose: 'read-volume',
    },
    signal,
  );
  return producedStream(stream, finished, `volume:${volume}`);
}

export async function writeVolume(
  connection: DockerConnection,
  image: string,
  volume: string,
  input: Readable,
  signal?: AbortSignal,
): Promise<void> {
  await requireVolume(connection, volume, signal);
  const mounts = [{ Type: 'volume' as const, Source: volume, Target: mountPoint }];
  // The emptying helper has exited when runHelper returns; its removal (a few hundred
  // milliseconds) goes on while the unpacking starts, and is waited for at the end.
  const removals: Promise<void>[] = [];
  try {
    await emptyAndUnpack(connection, image, volume, mounts, input, removals, signal);
  } finally {
    await Promise.all(removals);
  }
}

async function emptyAndUnpack(
  connection: DockerConnection,
  image: string,
  volume: string,
  mounts: MountSettings[],
  input: Readable,
  removals: Promise<void>[],
  signal: AbortSignal | undefined,
): Promise<void> {
  // Emptied first, so that files deleted since the backup do not come back mixed with it.
  const emptied = await runHelper(
    connection,
    {
      image,
      cmd: emptyingCommand(mountPoint),
      mounts,
      purpose: 'empty-volume',
      removing: (removal) => removals.push(removal),
    },
    signal,
  );
  if (emptied.exitCode !== 0) throw writeFailed(volume, emptied.exitCode, emptied.stderr);
  const unpacked = await runHelper(
    connection,
    {
      image,
      cmd: ['tar', '-x', '-f', '-', '--numeric-owner', '-C', mountPoint],
      mounts,
      stdin: input,
      purpose: 'write-volume',
    },
    signal,
  );
  if (unpacked.exitCode !== 0) throw writeFailed(volume, unpacked.exitCode, unpacked.stderr);
}

export async function createScratchVolume(
  connection: DockerConnection,
  labels: Readonly<Record<string, string>>,
  signal?: AbortSignal,
): Promise<string> {
  const name = `pes-scratch-${randomBytes(6).toString('hex')}`;
  await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker.createVolume({
        Name: name,
        Labels: { ...labels, [scratchLabel]: 'true' },
        abortSignal,
      }),
    signal,
  );
  return name;
}

export async function removeVolume(
  connection: DockerConnection,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await requestDocker(
      connection,
      (abortSignal) => connection.docker.getVolume(name).remove({ abortSignal }),
      signal,
    );
  } catch (error) {
    if (!hasEngineStatus(error, 404)) throw error;
  }
}

async function requireVolume(
  connection: DockerConnection,
  volume: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await requestDocker(
      connection,
      (abortSignal) => connection.docker.getVolume(volume).inspect({ abortSignal }),
      signal,
    );
  } catch (error) {
    if (hasEngineStatus(error, 404)) throw new UserError('backup-volume-missing', { volume });
    throw error;
  }
}

function writeFailed(volume: string, code: number, stderr: string): UserError {
  const reason = lastLines(stderr);
  // tar's own words (busybox and GNU alike) for ENOSPC.
  if (/no space left on device/i.test(stderr)) {
    return new UserError('backup-volume-full', { volume, reason });
  }
  return new UserError('backup-consumer-failed', { source: `volume:${volume}`, code, reason });
}
