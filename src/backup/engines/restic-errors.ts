/**
 * restic's failures in words people can act on. restic 0.14 exits 1 for every fatal error
 * (wrong password, no repository, locked…) and 3 when some input could not be read, so the
 * cause is read from stderr (docs/FIELD-NOTES.md "restic"); the environment sets LC_ALL=C.
 */
import { UserError } from '../../core/errors.ts';
import type { SpawnResult } from './spawn.ts';
import { defaultStallSeconds } from './stall.ts';
import { displayRepository, quoteArg, reasonFrom } from './tags.ts';

export interface ResticErrorContext {
  readonly repository: string;
  /** What was being done, e.g. `backup`, `forget`. */
  readonly operation: string;
  /** Values that must never appear in a message (the password). */
  readonly secrets: readonly string[];
  /** After how long without progress a backup is stopped (told in the hint). */
  readonly stallSeconds?: number;
}

/**
 * What restic 0.14 says when its sftp (ssh) peer went away, measured with the sftp-server
 * killed at different points: "Write: connection lost", "ssh command exited: signal:
 * terminated", "write |1: broken pipe"; before its lock was made it retries for about 40 s,
 * then "connection lost / unable to create lock in backend".
 */
const goneAway =
  /connection lost|ssh command exited|write \|1: broken pipe|connection reset by peer/i;

/** The command that clears a stale lock, exactly as an admin would type it. */
export function resticUnlockCommand(repository: string): string {
  return `restic -r ${quoteArg(displayRepository(repository))} unlock`;
}

export function resticError(result: SpawnResult, context: ResticErrorContext): UserError {
  const { stderr } = result;
  const repository = displayRepository(context.repository);
  if (result.stalled === true || goneAway.test(stderr)) {
    return new UserError('backup-repo-unreachable', {
      engine: 'restic',
      repository,
      seconds: context.stallSeconds ?? defaultStallSeconds,
    });
  }
  if (/wrong password or no key found/i.test(stderr)) {
    return new UserError('backup-repo-wrong-password', { engine: 'restic', repository });
  }
  if (/unable to open config file|Is there a repository at the following location/i.test(stderr)) {
    return new UserError('backup-repo-missing', { engine: 'restic', repository });
  }
  const locked = /repository is already locked (?:exclusively )?by (.*)$/im.exec(stderr);
  if (locked !== null) {
    return new UserError('backup-repo-locked', {
      repository,
      holder: (locked[1] ?? '').trim(),
      command: resticUnlockCommand(context.repository),
    });
  }
  if (/no matching ID found|invalid id|could not find snapshot/i.test(stderr)) {
    const id = /prefix "?([0-9a-f]+)"?/i.exec(stderr)?.[1] ?? '';
    return new UserError('backup-snapshot-not-found', { snapshot: id, repository });
  }
  return new UserError('backup-engine-failed', {
    engine: 'restic',
    operation: context.operation,
    code: result.exitCode ?? result.exitSignal ?? 'unknown',
    reason: reasonFrom(stderr, context.secrets) || 'no message',
  });
}
