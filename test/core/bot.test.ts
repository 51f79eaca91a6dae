import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';

const admin = 'local:root';
const operator = 'mattermost:ivan';
const stranger = 'mattermost:stranger';

describe('Bot.invoke', () => {
  it('lets a stranger run help and whoami, and refuses the rest with the roles that allow it', async () => {
    const t = createTestBot();
    const help = await t.run(stranger, 'help');
    expect(help.status).toBe('ok');
    expect(help.data).toEqual({ commands: ['help', 'whoami'] });

    const refused = await t.run(stranger, 'status');
    expect(refused.status).toBe('denied');
    expect(refused.exitCode).toBe(3);
    expect(refused.message.text).toBe(
      'mattermost:stranger may not run status.\nRoles that allow it: admin, operator, oncall',
    );
  });

  it('shows in help only what the caller may run', async () => {
    const t = createTestBot();
    const help = await t.run(operator, 'help');
    expect(help.data).toEqual({
      commands: [
        'help',
        'whoami',
        'status',
        'jobs',
        'job',
        'cancel',
        'confirm',
        'decline',
        'audit',
        'touch',
        'wipe',
      ],
    });
    const hidden = await t.run('mattermost:teacher1', 'help audit');
    expect(hidden.errorCode).toBe('unknown-command');
  });

  it('audits every invocation: allowed, refused and invalid', async () => {
    const t = createTestBot();
    await t.run(admin, 'whoami');
    await t.run(stranger, 'jobs');
    await t.run(admin, 'status nosuch');
    const rows = t.audit.last(10).reverse();
    expect(rows.map((r) => [r.actor, r.raw, r.decision, r.result])).toEqual([
      [admin, 'whoami', 'allowed', 'ok'],
      [stranger, 'jobs', 'denied', 'not-permitted'],
      [admin, 'status nosuch', 'invalid', 'unknown-service'],
    ]);
    expect(rows[0]?.command).toBe('whoami {}');
    expect(rows[0]?.room).toBe('mattermost:ops');
    expect(t.audit.verify()).toEqual([]);
  });

  it('runs a mutating command as a job and records its result', async () => {
    const t = createTestBot();
    t.release();
    const outcome = await t.run(admin, 'touch moodle');
    expect(outcome.status).toBe('ok');
    expect(outcome.jobId).toBeDefined();
    const job = t.jobs.get(outcome.jobId ?? 0);
    expect(job?.state).toBe('succeeded');
    expect(job?.result).toBe('touched moodle');
    expect(job?.lockKey).toBe('moodle');
    expect(t.audit.last(1)[0]?.result).toBe(`ok (job ${outcome.jobId})`);
  });

  it('refuses a second mutating job on the same service, naming the holder', async () => {
    const t = createTestBot();
    const first = t.run(operator, 'touch moodle');
    await sleep(30);
    const second = await t.run(admin, 'touch moodle');
    expect(second.status).toBe('failed');
    expect(second.errorCode).toBe('service-busy');
    expect(second.message.text).toMatch(
      /^moodle is busy: job \d+, touch by mattermost:ivan, 40 %\./,
    );
    // Another service is not blocked, and read-only commands never wait.
    const status = t.run(admin, 'jobs --active');
    expect((await status).status).toBe('ok');
    t.release();
    expect((await first).status).toBe('ok');
    expect((await t.run(admin, 'touch keycloak')).status).toBe('ok');
  });

  it('refuses a destructive command on a busy service before asking anything', async () => {
    const t = createTestBot();
    const first = t.run(operator, 'touch moodle');
    await sleep(30);
    const wipe = await t.run(admin, 'wipe moodle');
    expect(wipe.errorCode).toBe('service-busy');
    expect(wipe.message.actions).toBeUndefined();
    const dry = await t.run(admin, 'scale moodle 2 --dry-run');
    expect(dry.errorCode).toBe('service-busy');
    t.release();
    await first;
  });

  it('cancels a running job through its AbortSignal', async () => {
    const t = createTestBot();
    const running = t.run(operator, 'touch moodle');
    await sleep(30);
    const [active] = t.jobs.list({ limit: 1, activeOnly: true });
    expect(active?.state).toBe('running');
    const cancel = await t.run(operator, `cancel ${active?.id}`);
    expect(cancel.status).toBe('ok');
    const outcome = await running;
    expect(outcome.errorCode).toBe('job-cancelled');
    expect(t.jobs.get(active?.id ?? 0)?.state).toBe('cancelled');
    const again = await t.run(operator, `cancel ${active?.id}`);
    expect(again.errorCode).toBe('job-not-active');
    expect((await t.run(operator, 'cancel 999')).errorCode).toBe('unknown-job');
  });

  it('redacts secrets from progress and messages', async () => {
    const t = createTestBot();
    t.release();
    await t.run(admin, 'touch moodle');
    expect(t.progress[0]?.text).toBe('touching [redacted]');
  });

  it('holds a destructive command until an allowed person confirms it', async () => {
    const t = createTestBot();
    const pending = await t.run(operator, 'wipe moodle');
    expect(pending.status).toBe('pending');
    expect(t.wiped).toEqual([]);
    const code = (pending.data as { confirmation: string }).confirmation;
    expect(pending.message.text).toContain('All data of moodle will be deleted.');
    expect(pending.message.actions?.map((a) => a.command)).toEqual([
      `confirm ${code}`,
      `decline ${code}`,
    ]);

    const byTeacher = await t.run('mattermost:teacher1', `confirm ${code}`);
    expect(byTeacher.status).toBe('denied');
    expect(t.wiped).toEqual([]);

    const confirmed = await t.run(admin, `confirm ${code.toLowerCase()}`);
    expect(confirmed.status).toBe('ok');
    expect(confirmed.message.text).toBe(`wiped moodle\nConfirmed by root (${code}).`);
    expect(t.wiped).toEqual(['moodle']);

    const twice = await t.run(admin, `confirm ${code}`);
    expect(twice.errorCode).toBe('unknown-confirmation');
    expect(t.wiped).toEqual(['moodle']);
  });

  it('runs nothing when a confirmation is declined or has expired', async () => {
    let now = new Date('2026-11-26T10:00:00Z');
    const t = createTestBot({ now: () => now });
    const first = await t.run(operator, 'wipe moodle');
    const code1 = (first.data as { confirmation: string }).confirmation;
    const declined = await t.run(operator, `decline ${code1}`);
    expect(declined.message.text).toBe(`mattermost:ivan cancelled ${code1}; nothing was changed.`);

    const second = await t.run(operator, 'wipe keycloak');
    const code2 = (second.data as { confirmation: string }).confirmation;
    now = new Date(now.getTime() + 6 * 60 * 1000);
    const late = await t.run(operator, `confirm ${code2}`);
    expect(late.errorCode).toBe('confirmation-expired');
    expect(t.wiped).toEqual([]);
  });

  it('asks on a prompt, and refuses without one', async () => {
    const t = createTestBot();
    const asked: string[] = [];
    const no = await t.run(admin, 'wipe moodle', {
      sink: { confirm: { kind: 'prompt', ask: (d) => (asked.push(d), Promise.resolve(false)) } },
    });
    expect(no.errorCode).toBe('confirmation-declined');
    expect(asked).toEqual(['All data of moodle will be deleted.']);
    const refused = await t.run(admin, 'wipe moodle', { sink: { confirm: { kind: 'refuse' } } });
    expect(refused.errorCode).toBe('confirmation-required');
    expect(refused.exitCode).toBe(2);
    expect(t.wiped).toEqual([]);
    const yes = await t.run(admin, 'wipe moodle', {
      preconfirmed: true,
      sink: { confirm: { kind: 'refuse' } },
    });
    expect(yes.status).toBe('ok');
    expect(t.wiped).toEqual(['moodle']);
  });

  it('turns an unexpected error into a reference and logs the details', async () => {
    const t = createTestBot({ platform: fakePlatform({}) });
    const outcome = await t.run(admin, 'status moodle');
    expect(outcome.errorCode).toBe('internal');
    const ref = /ref ([0-9a-f]{6})/.exec(outcome.message.text ?? '')?.[1];
    expect(ref).toBeDefined();
    expect(
      t.logs.some((l) => l.includes(`"ref":"${ref}"`) && l.includes('no status for moodle')),
    ).toBe(true);
    expect(outcome.message.text).not.toContain('no status');
  });

  it('speaks the language of the room', async () => {
    const t = createTestBot();
    const outcome = await t.run(stranger, 'status', { locale: undefined });
    expect(outcome.message.text).toMatch(/^У mattermost:stranger нет права на команду status\./);
  });

  it('marks jobs of a dead process as interrupted at recovery', () => {
    const t = createTestBot();
    // A job started by another process (another pid) that has since died.
    const other = new SqliteJobStore(t.db, { pid: 999_999, ownerToken: 'gone' });
    const created = other.create({
      command: 'touch',
      text: 'touch moodle',
      actor: admin,
      room: 'terminal',
      service: 'moodle',
      lockKey: 'moodle',
    });
    if ('holder' in created) throw new Error('unexpected lock');
    other.transition(created.id, 'running');
    const mine = t.jobs.create({
      command: 'touch',
      text: 'touch keycloak',
      actor: admin,
      room: 'terminal',
      service: 'keycloak',
      lockKey: 'keycloak',
    });
    const interrupted = t.bot.recover(() => false);
    expect(interrupted.map((j) => j.id)).toEqual([created.id]);
    expect(t.jobs.get(created.id)?.state).toBe('interrupted');
    expect(t.audit.last(1)[0]?.result).toBe(`interrupted job ${created.id}`);
    // This process's own job is alive and keeps its lock.
    expect('id' in mine && t.jobs.get(mine.id)?.state).toBe('queued');
  });
});
