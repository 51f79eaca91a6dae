/**
 * A claim as a tar stream, the way a volume goes when its files are not read by the engine:
 * an empty claim (restic 0.14 refuses a snapshot of no files at all, "snapshot is empty",
 * so run-backup.ts sends an empty volume as a tar), and the restore of such a snapshot.
 *
 * Read: the names at the claim's root are listed (its `lost+found` left out, claim-site.ts),
 * then GNU tar in a claim pod archives them, read from its stdin (`--null
 * --verbatim-files-from --files-from=-`: any name, even one that starts with `-`). No entry
 * for the root itself: none can be put back by a pod that does not own the claim's root
 * (GNU tar 1.34 then fails on `.` with "Cannot utime" / "Cannot change mode", even with
 * `--no-overwrite-dir`), and emptying keeps the root as it is too. No name at all gives a
 * valid archive of end blocks only, which restic stores as any stream.
 *
 * Write: one restore pod empties the claim (the root and its `lost+found` kept) and unpacks
 * the stream there. Owners by number (`--numeric-owner`): the pod's /etc/passwd is not the
 * application's; a pod that is not root puts no owner back (tar's default as non-root), but
 * every mode, whoever the pod runs as (`--same-permissions`).
 *
 * Each operation has its own pod, deleted on every path.
 */
import { PassThrough, Readable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { StreamedOutput } from '../../core/platform.ts';
import { lastLines, producedStream } from '../../streams/produced.ts';
import { dataPath } from './claim-pod-spec.ts';
import type { ClaimPod } from './claim-pod.ts';
import { claimOutput, emptyingArgv, topLevelArgv } from './claim-site.ts';

/** Opens a claim pod for the claim: read-only for `read`, read-write for `write`. */
export type OpenClaimPod = (signal?: AbortSignal) => Promise<ClaimPod>;

/** tar's arguments that archive the names given on stdin, relative to the claim's root. */
const createArgv = [
  'tar',
  '--create',
  '--file=-',
  '--numeric-owner',
  `--directory=${dataPath}`,
  '--null',
  '--verbatim-files-from',
  '--files-from=-',
];

/**
 * `--same-permissions`: every mode as archived. GNU tar takes it by default for root only;
 * run as another user it applies its umask (022 in a pod), and a file of mode 0666 would come
 * back 0644, a folder of 0775 as 0755. No `--same-owner`: root does it by default (owners by
 * number here), and a pod that is not root could not give a file away (tar would fail on
 * each "Cannot change ownership").
 */
const extractArgv = [
  'tar',
  '--extract',
  '--file=-',
  '--numeric-owner',
  '--same-permissions',
  `--directory=${dataPath}`,
];

/**
 * A tar of the claim's content from a read-only pod. `done` rejects when tar failed (the
 * stream may then have ended early); the pod is deleted once it settles.
 */
export async function readClaimTar(
  open: OpenClaimPod,
  volume: string,
  signal?: AbortSignal,
): Promise<StreamedOutput> {
  const pod = await open(signal);
  let names: Buffer;
  try {
    names = await claimOutput(pod, topLevelArgv, signal);
  } catch (error) {
    await pod.delete().catch(() => undefined);
    throw error;
  }
  const stream = new PassThrough();
  const finished = (async () => {
    try {
      return await pod.exec(createArgv, { stdin: Readable.from([names]), stdout: stream }, signal);
    } finally {
      await pod.delete().catch(() => undefined);
    }
  })();
  return producedStream(stream, finished, `volume:${volume}`);
}

/** Empties the claim and unpacks the tar stream into it, in one read-write pod. */
export async function writeClaimTar(
  open: OpenClaimPod,
  volume: string,
  input: Readable,
  signal?: AbortSignal,
): Promise<void> {
  let pod: ClaimPod;
  try {
    pod = await open(signal);
  } catch (error) {
    // Nobody else reads the stream handed here.
    input.resume();
    throw error;
  }
  try {
    // Emptied first, so that files deleted since the backup do not come back mixed with it.
    try {
      const emptied = await pod.exec(emptyingArgv, {}, signal);
      if (emptied.exitCode !== 0) throw consumerFailed(volume, emptied.exitCode, emptied.stderr);
    } catch (error) {
      input.resume();
      throw error;
    }
    const unpacked = await pod.exec(extractArgv, { stdin: input }, signal);
    if (unpacked.exitCode !== 0) throw consumerFailed(volume, unpacked.exitCode, unpacked.stderr);
  } finally {
    await pod.delete().catch(() => undefined);
  }
}

function consumerFailed(volume: string, code: number, stderr: string): UserError {
  return new UserError('backup-consumer-failed', {
    source: `volume:${volume}`,
    code,
    reason: lastLines(stderr),
  });
}
