/**
 * What of an engine's environment reaches a helper container, all of it through the
 * launcher's stdin (engine-launch.ts), never the container's env, which shows in
 * `docker inspect`: the password only as the variable that points the engine at its stdin;
 * the bot's local cache places are dropped; a variable restic and borg do not read is refused
 * before a container is made.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.ts';
import { helperEnv } from '../../../src/platforms/docker/engine-helper.ts';
import type { EngineCommand } from '../../../src/backup/volume-access.ts';

function command(env: Record<string, string>): EngineCommand {
  return {
    program: 'borg',
    binary: 'borg',
    args: ['create', '::a', '.'],
    env,
    password: 'the-secret-passphrase',
    passwordOnStdin: { BORG_PASSPHRASE_FD: '0' },
  };
}

describe('a helper container environment', () => {
  it('keeps the plain variables, drops local places, never holds the password', () => {
    const env = helperEnv(
      command({
        BORG_REPO: '/srv/borg',
        BORG_BASE_DIR: '/var/lib/pes/borg',
        BORG_DISPLAY_PASSPHRASE: 'no',
      }),
    );
    expect(env).toEqual({
      BORG_REPO: '/srv/borg',
      BORG_DISPLAY_PASSPHRASE: 'no',
      BORG_PASSPHRASE_FD: '0',
    });
    expect(JSON.stringify(env)).not.toContain('the-secret-passphrase');
  });

  it('refuses a variable the launcher does not take, naming it', () => {
    let thrown: unknown;
    try {
      helperEnv(
        command({
          BORG_REPO: 'ssh://b@nas/./r',
          BORG_RSH: 'ssh -i /k',
          HTTPS_PROXY: 'http://u:p@proxy',
          LD_PRELOAD: 'x',
        }),
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as UserError).code).toBe('backup-engine-helper-env');
    expect((thrown as UserError).text('en')).toContain('HTTPS_PROXY, LD_PRELOAD for');
  });
});
