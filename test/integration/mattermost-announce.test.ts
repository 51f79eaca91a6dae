/**
 * Posts nobody asked for, through the real outbox to the fake Mattermost: a job interrupted by
 * a restart is reported in its channel once, a scheduled result reaches its room as one post,
 * and a room the bot cannot post in is refused without throwing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BackupScheduler } from '../../src/backup/schedules.ts';
import { reportInterrupted } from '../../src/cli/interrupted.ts';
import { scheduleOutput } from '../../src/cli/schedule-output.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Message } from '../../src/core/message.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function texts(t: Harness): string[] {
  return t.fake.data.botPosts(t.ops.id).map((p) => visibleText(p));
}

/** What `pes serve` does at start-up, with the harness's bot and adapter. */
function recoverAndReport(t: Harness, terminal: Message[]): number[] {
  const jobs = t.bot.recover(() => false);
  reportInterrupted(jobs, {
    say: (message) => terminal.push(message),
    locale: 'en',
    localeFor: () => 'en',
    announce: (room, message, key) => t.adapter.announce(room, message, key),
  });
  return jobs.map((j) => j.id);
}

describe('Mattermost announcements', () => {
  it('reports an interrupted job once in its channel, not again after a second restart', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    // A job of a process that died (another pid and token) while it ran.
    const dead = new SqliteJobStore(t.db, { pid: 999_999, ownerToken: 'dead-process' });
    const job = dead.create({
      command: 'crunch',
      text: 'crunch moodle 5',
      actor: `mattermost:${t.operator.id}`,
      room: `mattermost:${t.ops.id}`,
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');

    const terminal: Message[] = [];
    await t.restart(() => {
      // On the same state file while no dispatcher runs, as `pes serve` does before it
      // starts the adapter: the post waits in the outbox.
      expect(recoverAndReport(t, terminal)).toEqual([job.id]);
    });
    const wanted = `Job ${job.id} (crunch moodle 5) was interrupted when the bot stopped.`;
    await waitFor(() => texts(t).includes(wanted), 'the interrupted-job post');
    expect(terminal.map((m) => m.text)).toEqual([wanted]);

    await t.restart();
    expect(recoverAndReport(t, terminal)).toEqual([]);
    // Even told again about the same job (e.g. a crash before it was marked), no second post.
    expect(
      t.adapter.announce(
        `mattermost:${t.ops.id}`,
        { severity: 'warning', text: wanted },
        `interrupted:${job.id}`,
      ),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(texts(t).filter((text) => text === wanted)).toHaveLength(1);
  }, 20_000);

  it('posts a scheduled result for a mattermost room as one post', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    const lines: string[] = [];
    const room = `mattermost:${t.ops.id}`;
    const scheduler = new BackupScheduler({
      entries: [],
      invoke: () =>
        Promise.resolve({
          status: 'ok',
          exitCode: 0,
          message: { severity: 'success', text: 'Backup of moodle done.' },
        }),
      ledger: new SqliteBackupLedger(t.db),
      log: createLogger({ level: 'error', write: () => undefined }),
      room,
      output: scheduleOutput(
        createLogger({ level: 'error', write: () => undefined }),
        (line) => lines.push(line),
        (r, message, key) => t.adapter.announce(r, message, key),
      ),
    });
    const entry = {
      key: 'backup:moodle',
      cron: '0 3 * * *',
      command: 'backup moodle',
      service: 'moodle',
    };
    const outcome = await scheduler.run(entry);
    expect(outcome?.status).toBe('ok');
    await waitFor(() => texts(t).length === 1, 'the scheduled result');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(texts(t)).toEqual(['Backup of moodle done.']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Backup of moodle done.');
  });

  it('refuses an unknown channel or another kind of room without throwing', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    const message: Message = { severity: 'info', text: 'hello' };
    expect(t.adapter.announce('mattermost:zzzzzzzzzzzzzzzzzzzzzzzzzz', message, 'u:1')).toBe(false);
    expect(t.adapter.announce('mattermost:not-an-id', message, 'u:2')).toBe(false);
    expect(t.adapter.announce('terminal', message, 'u:3')).toBe(false);
    expect(t.logs.filter((l) => l.includes('announcement refused'))).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.fake.data.botPosts()).toHaveLength(0);
  });
});
