/**
 * How engine failures become errors people can act on. The stderr texts are restic 0.14's
 * and borg 1.2's own, captured from the real programs.
 */
import { describe, expect, it } from 'vitest';
import {
  borgError,
  parseBorgLogLine,
  type BorgLogMessage,
} from '../../src/backup/engines/borg-json.ts';
import { resticError, resticUnlockCommand } from '../../src/backup/engines/restic-errors.ts';
import type { SpawnResult } from '../../src/backup/engines/spawn.ts';
import {
  checkTags,
  displayRepository,
  keepArgs,
  quoteArg,
  reasonFrom,
} from '../../src/backup/engines/tags.ts';
import { UserError } from '../../src/core/errors.ts';

const password = 'hunter2-repo-password';

function failed(stderr: string, exitCode: number | null = 1): SpawnResult {
  return {
    exitCode,
    exitSignal: null,
    stdout: '',
    stderr,
    stdinError: undefined,
    stdoutError: undefined,
  };
}

const restic = (stderr: string, exitCode?: number): UserError =>
  resticError(failed(stderr, exitCode), {
    repository: '/srv/backup repo',
    operation: 'backup',
    secrets: [password],
  });

describe('restic errors', () => {
  it('wrong password', () => {
    const error = restic('Fatal: wrong password or no key found\n');
    expect(error.code).toBe('backup-repo-wrong-password');
    expect(error.text('en')).toBe(
      'Wrong password for the restic repository /srv/backup repo; nothing was changed.',
    );
  });

  it('no repository', () => {
    const error = restic(
      'Fatal: unable to open config file: stat nope/config: no such file or directory\n' +
        'Is there a repository at the following location?\nnope\n',
    );
    expect(error.code).toBe('backup-repo-missing');
  });

  it('locked: who holds it, and the exact command that clears it, never the password', () => {
    const error = restic(
      'unable to create lock in backend: repository is already locked by PID 14170 on vm by root (UID 0, GID 0)\n' +
        'lock was created at 2026-11-26 11:07:27 (2.386916884s ago)\nstorage ID 48b37e9e\n' +
        'the `unlock` command can be used to remove stale locks\n',
    );
    expect(error.code).toBe('backup-repo-locked');
    expect(error.params['holder']).toBe('PID 14170 on vm by root (UID 0, GID 0)');
    expect(error.hint('en')).toContain("restic -r '/srv/backup repo' unlock");
    for (const locale of ['en', 'ru'] as const) {
      expect(`${error.text(locale)} ${error.hint(locale) ?? ''}`).not.toContain(password);
    }
  });

  it('an unknown snapshot', () => {
    const error = restic('invalid id "deadbeef": no matching ID found for prefix "deadbeef"\n');
    expect(error.code).toBe('backup-snapshot-not-found');
    expect(error.params['snapshot']).toBe('deadbeef');
  });

  it('anything else: the engine, the exit code and the last lines, secrets replaced', () => {
    const error = restic(`one\ntwo\nFatal: boom ${password}\n`, 1);
    expect(error.code).toBe('backup-engine-failed');
    expect(error.text('en')).toBe(
      'restic backup failed (exit 1): `one — two — Fatal: boom [redacted]`',
    );
  });

  it('a file name the engine quotes is one line of code, whatever it holds', () => {
    const name = '/data/x\u202e\x1b[2J `tick` @channel [y](https:/evil.example) <b>';
    const error = restic(`error: open ${name}\n: permission denied\nFatal: 1 file unreadable\n`, 1);
    expect(error.text('en')).toBe(
      'restic backup failed (exit 1): `error: open /data/x\\u202e\\x1b[2J \\x60tick\\x60 ' +
        '@channel [y](https:/evil.example) <b> — : permission denied — Fatal: 1 file unreadable`',
    );
    expect(reasonFrom('\n \n', [])).toBe('');
  });

  it('the unlock command leaves credentials of a URL out', () => {
    expect(resticUnlockCommand('rest:https://user:secret@host:8000/repo')).toBe(
      'restic -r rest:https://host:8000/repo unlock',
    );
    expect(resticUnlockCommand('s3:https://minio:9000/bucket')).toBe(
      'restic -r s3:https://minio:9000/bucket unlock',
    );
  });
});

describe('a repository that stopped answering (stderr measured with the sftp-server killed)', () => {
  it('restic: the peer gone mid-backup, before the lock, or a stalled run', () => {
    const sftp = (stderr: string): UserError =>
      resticError(failed(stderr), {
        repository: 'sftp:backup@host:/srv/restic',
        operation: 'backup',
        secrets: [password],
        stallSeconds: 120,
      });
    const mid = sftp(
      'Save(<data/0bb2984c73>) returned error, retrying after 552.330144ms: Write: failed to send packet payload: write |1: broken pipe\n' +
        'error while unlocking: ssh command exited: signal: terminatedFatal: unable to save snapshot: ssh command exited: signal: terminated\n',
    );
    expect(mid.code).toBe('backup-repo-unreachable');
    expect(mid.text('en')).toBe(
      'The restic repository sftp:backup@host:/srv/restic stopped answering.',
    );
    expect(mid.hint('en')).toContain('no further for 120 s');
    expect(
      sftp(
        'List(lock) returned error, retrying after 15.394871241s: connection lost\nconnection lost\nunable to create lock in backend\n',
      ).code,
    ).toBe('backup-repo-unreachable');
    expect(
      resticError(
        { ...failed('', null), exitSignal: 'SIGKILL', stalled: true },
        {
          repository: '/srv/restic',
          operation: 'backup',
          secrets: [password],
        },
      ).code,
    ).toBe('backup-repo-unreachable');
    // restic's own stdout cut by its reader is no repository problem.
    expect(sftp('write /dev/stdout: broken pipe\n').code).toBe('backup-engine-failed');
  });

  it('borg: a traceback through borg/remote.py ending in BrokenPipeError, or ConnectionClosed', () => {
    const gone = borg(
      logs(
        '{"type": "log_message", "time": 1, "message": "Local Exception", "levelname": "ERROR", "name": "borg.archiver", "msgid": "Exception"}',
        JSON.stringify({
          type: 'log_message',
          time: 1,
          message:
            'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/borg/remote.py", line 417, in write\n    written = os.write(fd, to_send)\nBrokenPipeError: [Errno 32] Broken pipe\n',
          levelname: 'ERROR',
          name: 'borg.archiver',
        }),
      ),
    );
    expect(gone.code).toBe('backup-repo-unreachable');
    expect(gone.text('en')).toBe('The borg repository /srv/borg stopped answering.');
    expect(
      borg(
        logs(
          '{"type": "log_message", "time": 1, "message": "Connection closed by remote host", "levelname": "ERROR", "name": "borg.archiver", "msgid": "ConnectionClosed"}',
        ),
      ).code,
    ).toBe('backup-repo-unreachable');
  });
});

function logs(...lines: string[]): BorgLogMessage[] {
  return lines.flatMap((line) => {
    const parsed = parseBorgLogLine(line);
    return parsed.kind === 'log' ? [parsed.log] : [];
  });
}

const borg = (messages: BorgLogMessage[], stderr = ''): UserError =>
  borgError(failed(stderr, 2), messages, {
    repository: '/srv/borg',
    operation: 'create',
    secrets: [password],
  });

describe('borg errors (by msgid of --log-json)', () => {
  it('wrong passphrase, no repository, locked, unknown archive', () => {
    expect(
      borg(
        logs(
          '{"type": "log_message", "time": 1.0, "message": "passphrase supplied in BORG_PASSPHRASE, by BORG_PASSCOMMAND or via BORG_PASSPHRASE_FD is incorrect.", "levelname": "ERROR", "name": "borg.archiver", "msgid": "PassphraseWrong"}',
        ),
      ).code,
    ).toBe('backup-repo-wrong-password');
    expect(
      borg(
        logs(
          '{"type": "log_message", "time": 1.0, "message": "Repository /x does not exist.", "levelname": "ERROR", "name": "borg.archiver", "msgid": "Repository.DoesNotExist"}',
        ),
      ).code,
    ).toBe('backup-repo-missing');
    const locked = borg(
      logs(
        '{"type": "log_message", "time": 1.0, "message": "Failed to create/acquire the lock /srv/borg/lock.exclusive (timeout).", "levelname": "ERROR", "name": "borg.archiver", "msgid": "LockTimeout"}',
      ),
    );
    expect(locked.code).toBe('backup-repo-locked');
    expect(locked.hint('en')).toContain('borg break-lock /srv/borg');
    expect(
      borg(
        logs(
          '{"type": "log_message", "time": 1.0, "message": "Archive m_x does not exist", "levelname": "ERROR", "name": "borg.archiver", "msgid": "Archive.DoesNotExist"}',
        ),
      ).params['snapshot'],
    ).toBe('m_x');
  });

  it('progress lines and warnings are not errors', () => {
    expect(
      parseBorgLogLine(
        '{"original_size": 525975, "compressed_size": 526018, "deduplicated_size": 526018, "nfiles": 0, "path": "vol.tar", "time": 1.0, "type": "archive_progress", "finished": false}',
      ),
    ).toEqual({ kind: 'progress', bytesDone: 525975 });
    const error = borg(
      logs(
        '{"type": "log_message", "message": "just a warning", "levelname": "WARNING", "name": "borg"}',
      ),
      'Traceback: something broke',
    );
    expect(error.code).toBe('backup-engine-failed');
    expect(error.params['reason']).toBe('`Traceback: something broke`');
  });
});

describe('names and arguments', () => {
  it('refuses tags that could change an argv or a stored name', () => {
    const ok = { service: 'moodle', source: 'volume:data', job: '12', extra: ['safety'] };
    expect(() => checkTags(ok)).not.toThrow();
    for (const bad of [
      { ...ok, service: 'Moodle' },
      { ...ok, source: 'volume' },
      { ...ok, source: 'volume:a:b' },
      { ...ok, job: '1_2' },
      { ...ok, extra: ['a,b'] },
      { ...ok, extra: ['pes-service=x'] },
      { ...ok, extra: ['--help'] },
    ]) {
      expect(() => checkTags(bad), JSON.stringify(bad)).toThrow(UserError);
    }
  });

  it('shows repositories without credentials and quotes arguments like a shell would need', () => {
    expect(displayRepository('sftp:backup@host:/srv/restic')).toBe('sftp:backup@host:/srv/restic');
    expect(displayRepository('ssh://u:p@host/./repo')).toBe('ssh://host/./repo');
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArg('/plain/path')).toBe('/plain/path');
  });

  it('keeps the last lines of stderr, at most 300 characters', () => {
    expect(reasonFrom('a\n\nb\nc\nd\n', [])).toBe('`b — c — d`');
    expect(reasonFrom('x'.repeat(500), [])).toBe(`\`…${'x'.repeat(300)}\``);
  });

  it('turns a policy into --keep flags, leaving out rules that are not set', () => {
    expect(keepArgs({ keepDaily: 7, keepMonthly: 6 })).toEqual([
      '--keep-daily',
      '7',
      '--keep-monthly',
      '6',
    ]);
    expect(keepArgs({})).toEqual([]);
  });
});
