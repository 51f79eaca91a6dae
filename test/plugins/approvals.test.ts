import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalPolicy } from '../../src/core/approvals.ts';
import type { BackupService } from '../../src/core/backup.ts';
import { identify } from '../../src/core/identity.ts';
import { UserError } from '../../src/core/errors.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteApprovalStore } from '../../src/store/approvals-repo.ts';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { admins, pluginBed, pluginCatalog } from './bed.ts';

const hour = 3_600_000;
const policy: ApprovalPolicy = {
  roles: ['admin'],
  count: 2,
  ttlMs: 4 * hour,
  remindBeforeMs: hour,
  room: admins,
};

function store(): { store: SqliteApprovalStore; tick: (ms: number) => void } {
  let now = new Date('2026-12-07T01:00:00Z');
  return {
    store: new SqliteApprovalStore(openDatabase(':memory:'), { now: () => now }),
    tick: (ms) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

const catalog = pluginCatalog();
const who = (id: string): ReturnType<typeof identify> => identify(catalog, id);

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof UserError) return error.code;
    throw error;
  }
  return 'counted';
}

describe('approvals: N of M', () => {
  it('two approvers of the role: the first counts, the second approves', () => {
    const { store: s } = store();
    const a = s.create({
      subject: 'command',
      text: 'restore moodle latest',
      actor: 'mattermost:admin1',
      room: 'terminal',
      policy,
    });
    expect(a.state).toBe('pending');
    expect(a.cardRoom).toBe(admins);
    expect(s.vote(a.id, who('mattermost:admin2'), 'approve', '', catalog).state).toBe('pending');
    expect(s.vote(a.id, who('mattermost:admin3'), 'approve', 'ok', catalog).state).toBe('approved');
    expect(s.get(a.id)?.votes.map((v) => v.actor)).toEqual([
      'mattermost:admin2',
      'mattermost:admin3',
    ]);
  });

  it('refuses self-approval, a person without the role, a second vote, and a closed one', () => {
    const { store: s } = store();
    const a = s.create({
      subject: 'command',
      text: 'restore moodle latest',
      actor: 'mattermost:admin1',
      room: 'terminal',
      policy,
    });
    expect(refusal(() => s.vote(a.id, who('mattermost:admin1'), 'approve', '', catalog))).toBe(
      'approval-self',
    );
    expect(refusal(() => s.vote(a.id, who('mattermost:teacher1'), 'approve', '', catalog))).toBe(
      'approval-not-allowed',
    );
    expect(refusal(() => s.vote(a.id, who('mattermost:admin2'), 'approve', '', catalog))).toBe(
      'counted',
    );
    expect(refusal(() => s.vote(a.id, who('mattermost:admin2'), 'approve', '', catalog))).toBe(
      'approval-twice',
    );
    expect(
      refusal(() => s.vote(a.id, who('mattermost:admin3'), 'reject', 'not now', catalog)),
    ).toBe('counted');
    expect(s.get(a.id)?.state).toBe('rejected');
    expect(refusal(() => s.vote(a.id, who('local:root'), 'approve', '', catalog))).toBe(
      'approval-closed',
    );
  });

  it('reminds once before the deadline, expires once after it, and refuses a vote after', () => {
    const { store: s, tick } = store();
    const a = s.create({
      subject: 'command',
      text: 'restore moodle latest',
      actor: 'mattermost:admin1',
      room: 'terminal',
      policy,
    });
    expect(s.claimReminders('command')).toEqual([]);
    tick(3 * hour);
    expect(s.claimReminders('command').map((x) => x.id)).toEqual([a.id]);
    expect(s.claimReminders('command')).toEqual([]);
    expect(s.claimExpired('command')).toEqual([]);
    tick(hour);
    expect(refusal(() => s.vote(a.id, who('mattermost:admin2'), 'approve', '', catalog))).toBe(
      'approval-expired',
    );
    expect(s.claimExpired('plugin-request:')).toEqual([]);
    expect(s.claimExpired('command').map((x) => x.state)).toEqual(['expired']);
    expect(s.claimExpired('command')).toEqual([]);
    expect(s.get(a.id)?.state).toBe('expired');
  });
});

describe('approvals on the command path: restore of moodle needs 2 admins', () => {
  const fake = new FakePluginsDirectory();
  let url = '';
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(() => fake.stop());

  function fakeBackups(planned: string[]): BackupService {
    const fail = (): never => {
      throw new UserError('backup-no-snapshots', { service: 'moodle' });
    };
    return {
      sources: () => [],
      planRestore: (service: { name: string }) => {
        planned.push(service.name);
        return Promise.reject(new UserError('backup-no-snapshots', { service: service.name }));
      },
      backup: fail,
      restore: fail,
      verify: fail,
      snapshots: () => Promise.resolve([]),
      unlock: fail,
      prune: fail,
      files: fail,
    };
  }

  /** Backups whose plan succeeds (one complete snapshot) and whose restore is recorded. */
  function restorableBackups(planned: string[], restored: string[]): BackupService {
    const plan = {
      service: 'moodle',
      ref: 'latest',
      job: '1-20261207',
      items: [
        {
          source: 'db',
          kind: 'database' as const,
          snapshotId: 'a1b2c3d4',
          time: new Date('2026-12-06T01:00:00Z'),
          bytes: 1024,
          state: 'complete' as const,
        },
      ],
      untouched: [],
    };
    return {
      ...fakeBackups([]),
      planRestore: (service: { name: string }) => {
        planned.push(service.name);
        return Promise.resolve(plan);
      },
      restore: (service: { name: string }) => {
        restored.push(service.name);
        return Promise.resolve({
          plan,
          safetySnapshot: undefined,
          restored: [{ source: 'db', bytes: 1024 }],
          durationMs: 1000,
        });
      },
    };
  }

  it('an approved restore asks its confirmation, runs once confirmed, and runs only once', async () => {
    const planned: string[] = [];
    const restored: string[] = [];
    const bed = pluginBed({
      directoryUrl: url,
      backups: restorableBackups(planned, restored),
      rules: [{ command: 'restore', service: 'moodle', ...policy }],
    });
    const en = { locale: 'en' as const };
    expect((await bed.say('mattermost:admin1', 'restore moodle latest', en)).status).toBe(
      'pending',
    );
    await bed.say('mattermost:admin2', 'approve 1', en);
    const released = await bed.say('mattermost:admin3', 'approve 1', en);
    const code = (released.data as { confirmation?: string } | undefined)?.confirmation ?? '';
    expect(code).toMatch(/^[2-9A-HJ-NP-Z]{4}$/);
    expect(restored).toEqual([]);
    const confirmed = await bed.say('mattermost:admin1', `confirm ${code}`, en);
    expect(confirmed.status).toBe('ok');
    expect(confirmed.message.text ?? '').not.toContain('approval #2');
    expect(restored).toEqual(['moodle']);
    // No second approval was filed: only card #1 exists.
    expect(bed.notices.filter((n) => n.kind === 'post' && n.key.startsWith('approval:'))).toEqual(
      bed.notices.filter((n) => n.kind === 'post' && n.key === 'approval:1'),
    );
    // The approval was used: carrying it again is refused, and nothing runs.
    const again = await bed.say('mattermost:admin1', 'restore moodle latest', {
      ...en,
      approved: 1,
    });
    expect(again.errorCode).toBe('approval-used');
    expect(restored).toEqual(['moodle']);
  });

  it('an approval releases only its own command of its own requester', async () => {
    const restored: string[] = [];
    const bed = pluginBed({
      directoryUrl: url,
      backups: restorableBackups([], restored),
      rules: [{ command: 'restore', service: 'moodle', ...policy }],
    });
    const en = { locale: 'en' as const };
    await bed.say('mattermost:admin1', 'restore moodle latest', en);
    // Pending: not approved yet.
    const early = await bed.say('mattermost:admin1', 'restore moodle latest', {
      ...en,
      approved: 1,
      preconfirmed: true,
    });
    expect(early.errorCode).toBe('approval-not-released');
    await bed.say('mattermost:admin2', 'approve 1', en);
    await bed.say('mattermost:admin3', 'approve 1', en);
    const other = await bed.say('mattermost:admin1', 'restore moodle a1b2c3d4', {
      ...en,
      approved: 1,
      preconfirmed: true,
    });
    expect(other.errorCode).toBe('approval-not-released');
    const someoneElse = await bed.say('mattermost:admin2', 'restore moodle latest', {
      ...en,
      approved: 1,
      preconfirmed: true,
    });
    expect(someoneElse.errorCode).toBe('approval-not-released');
    expect(restored).toEqual([]);
  });

  it('bad input gets its error and files no approval', async () => {
    const bed = pluginBed({
      directoryUrl: url,
      backups: fakeBackups([]),
      rules: [
        { command: 'scale', service: 'moodle', ...policy },
        { command: 'restore', service: 'moodle', ...policy },
      ],
    });
    const scaled = await bed.say('mattermost:admin1', 'scale moodle 0', { locale: 'en' });
    expect(scaled.errorCode).toBe('scale-out-of-bounds');
    // The plan is checked too: a restore with no snapshot to restore files nothing.
    const none = await bed.say('mattermost:admin1', 'restore moodle latest', { locale: 'en' });
    expect(none.errorCode).toBe('backup-no-snapshots');
    expect(bed.notices).toEqual([]);
  });

  it('restore waits for two admins other than the one who asked, then runs as them', async () => {
    const planned: string[] = [];
    const bed = pluginBed({
      directoryUrl: url,
      backups: restorableBackups(planned, []),
      rules: [{ command: 'restore', service: 'moodle', ...policy }],
    });
    const asked = await bed.say('mattermost:admin1', 'restore moodle latest', { locale: 'en' });
    expect(asked.status).toBe('pending');
    expect(asked.message.text).toContain('needs approval (2 of the roles admin): approval #1');
    // Its plan was checked before the approval was filed.
    expect(planned).toEqual(['moodle']);
    const card = bed.notices.find((n) => n.kind === 'post' && n.room === admins);
    expect(card?.message.text).toContain('`latest` is the newest snapshot when it runs');
    expect(card?.message.actions?.map((a) => a.command)).toEqual(['approve 1', 'reject 1']);

    const self = await bed.say('mattermost:admin1', 'approve 1', { locale: 'en' });
    expect(self.errorCode).toBe('approval-self');
    // `approve` is granted by roles like any command; the teacher role does not have it.
    const teacher = await bed.say('mattermost:teacher1', 'approve 1', { locale: 'en' });
    expect(teacher.errorCode).toBe('not-permitted');
    const first = await bed.say('mattermost:admin2', 'approve 1', { locale: 'en' });
    expect(first.message.text).toBe('Your decision counts: 1 of 2.');
    expect(planned).toEqual(['moodle']);
    const twice = await bed.say('mattermost:admin2', 'approve 1', { locale: 'en' });
    expect(twice.errorCode).toBe('approval-twice');
    await bed.say('mattermost:admin3', 'approve 1 go ahead', { locale: 'en' });
    // Released: restore ran (as admin1) up to its own plan, checked again.
    expect(planned).toEqual(['moodle', 'moodle']);
    const edits = bed.notices.filter((n) => n.kind === 'edit' && n.key === 'approval:1');
    expect(edits.at(-1)?.message.text).toContain('Approved by mattermost:admin3');
    expect(edits.at(-1)?.message.actions).toBeUndefined();
  });

  it('an approval nobody decides expires: the requester is told, the card edited', async () => {
    const bed = pluginBed({
      directoryUrl: url,
      backups: restorableBackups([], []),
      rules: [{ command: 'restore', service: 'moodle', ...policy }],
    });
    await bed.say('mattermost:admin1', 'restore moodle latest', { locale: 'en' });
    bed.tick(3 * hour);
    bed.housekeeping();
    expect(bed.notices.at(-1)?.message.text).toContain('⏰ Reminder: #1 (restore moodle latest)');
    bed.tick(hour);
    bed.housekeeping();
    const told = bed.notices.find((n) => n.key === 'approval:1:expired');
    expect(told?.room).toBe('mattermost:dmadmin1');
    expect(told?.message.text).toContain(
      'Nobody approved your request `restore moodle latest` (#1) in time',
    );
    const late = await bed.say('mattermost:admin2', 'approve 1', { locale: 'en' });
    expect(late.errorCode).toBe('approval-expired');
  });

  it('the card names people as the messenger does, at every edit and at the expiry', async () => {
    const bed = pluginBed({
      directoryUrl: url,
      backups: restorableBackups([], []),
      rules: [{ command: 'restore', service: 'moodle', ...policy, count: 3 }],
    });
    const as = (displayName: string) => ({ locale: 'en' as const, displayName });
    await bed.say('mattermost:admin1', 'restore moodle latest', as('Anna'));
    await bed.say('mattermost:admin2', 'approve 1', as('Boris'));
    await bed.say('mattermost:admin3', 'approve 1', as('Carl'));
    const edits = bed.notices.filter((n) => n.kind === 'edit' && n.key === 'approval:1');
    const last = edits.at(-1)?.message.text ?? '';
    expect(last).toContain('Anna asks to run `restore moodle latest`');
    expect(last).toContain('Approved by Boris');
    expect(last).toContain('Approved by Carl');
    expect(last).not.toContain('mattermost:');
    bed.tick(4 * hour);
    bed.housekeeping();
    const expired = bed.notices.filter((n) => n.kind === 'edit' && n.key === 'approval:1').at(-1);
    expect(expired?.message.text).toContain('Approved by Boris');
    expect(expired?.message.text).toContain('Anna asks');
  });

  it('a rule that names the command by an alias gates it too', async () => {
    const bed = pluginBed({
      directoryUrl: url,
      rules: [{ command: 'масштаб', service: 'moodle', ...policy }],
    });
    const asked = await bed.say('mattermost:admin1', 'scale moodle 2', { locale: 'en' });
    expect(asked.status).toBe('pending');
    expect(asked.message.text).toContain('approval #1 was sent');
  });

  it('a dry run needs no approval', async () => {
    const planned: string[] = [];
    const bed = pluginBed({
      directoryUrl: url,
      backups: fakeBackups(planned),
      rules: [{ command: 'restore', service: 'moodle', ...policy }],
    });
    await bed.say('mattermost:admin1', 'restore moodle latest --dry-run', { locale: 'en' });
    expect(planned).toEqual(['moodle']);
    expect(bed.notices).toEqual([]);
  });
});
