/**
 * Volumes as tar streams, with no temporary copy on disk: read by `tar` in a helper container
 * that mounts the volume (helper-container.ts); written back by the engine itself into an
 * idle helper (archive-stream.ts) after a helper has emptied it. The helper image needs only
 * `tar`, `find` and `rm` (busybox has them). Owners are kept by number both ways
 * (`--numeric-owner`; the engine's unpacking uses the numbers), since the helper's
 * /etc/passwd is not the application's.
 */
import { randomBytes } from 'node:crypto';
import type { MountSettings } from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { StreamedOutput } from '../../core/platform.ts';
import { writeArchive } from './archive-stream.ts';
import { requestDocker, type DockerConnection } from './client.ts';
import { hasEngineStatus } from './container-ops.ts';
import { runHelper, withIdleHelper } from './helper-container.ts';
import { scratchOwner, scratchOwnerLabel } from './scratch-sweep.ts';
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
  // A helper's tar, not the engine's archive endpoint: the engine leaves out, with only a
  // line in its own log, a file it cannot read, and the snapshot would look whole.
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
  const mounts: MountSettings[] = [{ Type: 'volume', Source: volume, Target: mountPoint }];
  // Emptied first, so that files deleted since the backup do not come back mixed with it.
  // The helper that receives the tar is created meanwhile; the emptying helper's removal (a
  // few hundred milliseconds) goes on while the tar is unpacked, and is waited for at the end.
  const removals: Promise<void>[] = [];
  const emptying = runHelper(
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
  // Observed below; a failure while the other helper is being created is not unhandled.
  emptying.catch(() => undefined);
  try {
    await withIdleHelper(
      connection,
      { image, mounts, purpose: 'write-volume' },
      async (container) => {
        const emptied = await emptying;
        if (emptied.exitCode !== 0) throw emptyFailed(volume, emptied.exitCode, emptied.stderr);
        try {
          await writeArchive(connection, container, mountPoint, input, signal);
        } catch (error) {
          throw writeFailed(volume, error);
        }
      },
      signal,
    );
  } finally {
    // Nothing goes on in the background once this returns, even after a failure.
    await Promise.allSettled([emptying]);
    await Promise.all(removals);
  }
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
        // Which process made it: the start-up sweep leaves a live one's alone (scratch-sweep.ts).
        Labels: { ...labels, [scratchLabel]: 'true', [scratchOwnerLabel]: scratchOwner },
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

function emptyFailed(volume: string, code: number, stderr: string): UserError {
  return new UserError('backup-consumer-failed', {
    source: `volume:${volume}`,
    code,
    reason: lastLines(stderr),
  });
}

/** The engine's words for ENOSPC while unpacking; any other failure is passed on as is. */
function writeFailed(volume: string, error: unknown): unknown {
  if (!(error instanceof UserError) || error.code !== 'docker-error') return error;
  const reason = String(error.params['reason'] ?? '');
  if (!/no space left on device/i.test(reason)) return error;
  return new UserError(
    'backup-volume-full',
    { volume, reason: lastLines(reason) },
    { cause: error },
  );
}
