/**
 * `pes serve` started after the bot died under plugin jobs, as a person starts it: the
 * journal (src/plugins/install/journal.ts) is read at start-up, after the interrupted jobs are
 * settled. A job whose upgrade.php had started is reported with the site left in maintenance
 * and the backup to restore, in its interrupted notice; a row of an earlier job whose site
 * cannot be reached (no engine here) is said on the terminal and kept for the next start.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { SqlitePluginJournal } from '../../src/store/plugin-journal-repo.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

const config = `
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
plugins:
  service: moodle
  approvals: { roles: [admin] }
`;

const row = {
  service: 'moodle',
  component: 'mod_attendance',
  targetDir: '/var/www/html/mod/attendance',
  asideDir: undefined,
  createdFolder: true,
  maintenanceOn: true,
  backupSnapshot: 'abc12345',
};

describe('pes serve after the bot died under plugin jobs', () => {
  it('says what is left in maintenance and what could not be reached, and keeps those rows', async () => {
    const w = tempWorkdir(config);
    const db = openDatabase(join(w.dir, 'state/pes.db'));
    const dead = new SqliteJobStore(db, { pid: 999_999, ownerToken: 'gone' });
    const job = dead.create({
      command: 'plugin-install',
      text: 'plugin-install moodle mod_attendance',
      actor: 'local:root',
      room: 'terminal',
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');
    const journal = new SqlitePluginJournal(db);
    journal.save({ ...row, jobId: job.id, upgradeStarted: true });
    // A row an earlier start could not settle: its job is long gone from the jobs table.
    journal.save({ ...row, jobId: 99, upgradeStarted: false });
    db.close();

    const port = await freePort();
    const { child, output, exited } = startServe(w, { PES_PORT: String(port) });
    await waitFor(() => output().includes('listening'), 'the server to listen');
    expect(output()).toContain(
      `Job ${job.id} (plugin-install moodle mod_attendance) was interrupted when the bot stopped.`,
    );
    expect(output()).toContain(
      'moodle stays in maintenance mode: upgrade.php for mod_attendance was cut short and may have changed the database only partly. Restore the backup: restore moodle abc12345, then admin/cli/maintenance.php --disable.',
    );
    expect(output()).toMatch(
      /moodle: the site could not be put back after the interrupted job \(mod_attendance\) \(.+\); the bot tries again at its next start\./,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const after = new SqlitePluginJournal(openDatabase(join(w.dir, 'state/pes.db')));
    expect(after.all().map((e) => e.jobId)).toEqual([job.id, 99]);
  });
});
