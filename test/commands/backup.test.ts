/** backup, backups, restore, verify, backup unlock through the bot, on the fake lower layer. */
import { describe, expect, it } from 'vitest';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';
import { roles, testCatalog } from '../helpers/catalog.ts';
import { FakeSource, harness, type Harness } from '../backup/fakes.ts';
import { waitFor } from '../helpers/wait.ts';

const admin = 'local:root';
const operator = 'mattermost:bob';
const catalog = testCatalog({
  roles: [...roles, { name: 'backup-op', members: [operator], commands: ['backup', 'backups'] }],
});

function setup(): {
  h: Harness;
  volume: FakeSource;
  db: FakeSource;
  t: ReturnType<typeof createTestBot>;
} {
  const volume = new FakeSource('volume:moodledata', 'files v1');
  const db = new FakeSource('postgres:moodle', 'dump v1');
  const h = harness({ moodle: { sources: [volume, db], retention: { keepLast: 5 } } });
  const t = createTestBot({ catalog, backups: h.service, backupLedger: h.ledger });
  return { h, volume, db, t };
}

describe('backup command', () => {
  it('runs one job with progress in place and lists snapshots, sizes and duration', async () => {
    const { h, t } = setup();
    const outcome = await t.run(admin, 'бэкап moodle --tag pre-upgrade', { locale: 'ru' });

    expect(outcome.status).toBe('ok');
    expect(t.jobs.get(outcome.jobId ?? 0)?.state).toBe('succeeded');
    expect(outcome.message.title).toBe('moodle: копия сделана');
    expect(outcome.message.fields?.map((f) => f.label)).toEqual([
      'volume:moodledata',
      'postgres:moodle',
    ]);
    expect(outcome.message.fields?.[0]?.value).toMatch(
      /^снимок `aaaaaaa1` · 8 Б · добавлено 4 Б · /,
    );
    const texts = t.progress.map((p) => p.text);
    expect(texts).toContain('копирование volume:moodledata · 4 Б из 8 Б · осталось 1 с');
    expect(texts).toContain('политика хранения');
    const tags = h.engine.stored[0]?.tags;
    expect(tags).toMatchObject({
      service: 'moodle',
      source: 'volume:moodledata',
      extra: ['pre-upgrade'],
    });
    expect(tags?.job).toMatch(new RegExp(`^${outcome.jobId ?? 0}-\\d{8}T\\d{6}Z$`));
  });

  it('says how many snapshots it made with the noun agreeing with the number', async () => {
    const { t } = setup();
    const both = await t.run(admin, 'backup moodle');
    expect(both.message.text).toMatch(/^2 snapshots in /);
    const one = await t.run(admin, 'backup moodle --only volumes');
    expect(one.message.text).toMatch(/^1 snapshot in /);
    expect(one.message.fields?.[0]?.value).not.toMatch(/\b1 files\b/);
  });

  it('refuses a tag that is not a plain word, and the reserved one', async () => {
    const { h, t } = setup();
    for (const tag of ['safety', '"a b"', '--x']) {
      const outcome = await t.run(admin, `backup moodle --tag ${tag}`);
      expect(outcome.status).not.toBe('ok');
    }
    expect(h.engine.stored).toEqual([]);
  });

  it('says backups are not configured when there is no backup section', async () => {
    const t = createTestBot({ catalog });
    const outcome = await t.run(admin, 'backup moodle');
    expect(outcome.errorCode).toBe('backup-not-configured');
  });

  it('backup unlock needs the admin permission (backup-unlock), even for someone who may back up', async () => {
    const { h, t } = setup();
    const refused = await t.run(operator, 'backup unlock');
    expect(refused.status).toBe('denied');
    expect(refused.errorCode).toBe('not-permitted');
    expect(refused.message.text).toContain('admin');
    expect(h.engine.calls).not.toContain('unlock');

    expect((await t.run(admin, 'backup unlock')).status).toBe('ok');
    expect((await t.run(admin, 'backup-unlock')).status).toBe('ok');
    expect(h.engine.calls.filter((c) => c === 'unlock')).toHaveLength(2);
  });
});

describe('backups command', () => {
  it('lists the snapshots with time, source, size and whether verified', async () => {
    const { t } = setup();
    await t.run(admin, 'backup moodle');
    await t.run(admin, 'verify moodle');
    const outcome = await t.run(admin, 'бэкапы moodle');
    expect(outcome.status).toBe('ok');
    const table = outcome.message.code?.content ?? '';
    expect(table.split('\n')[0]).toMatch(
      /^id\s+time\s+source\s+kind\s+state\s+size\s+files\s+verified\s+tags$/,
    );
    expect(table).toMatch(
      /aaaaaaa2\s+2025-01-01 00:02 UTC\s+postgres:moodle\s+stream\s+complete\s+7 B\s+—\s+yes \d{4}-\d\d-\d\d\s+job /,
    );
    expect(outcome.message.text).toBe('Showing 2 of 2; checked by a restore drill: 2.');
  });
});

describe('a snapshot of a backup cut short', () => {
  /** What a bot killed during `backup moodle` (job 9) leaves: a started run and a snapshot. */
  function cutShort(h: Harness): string {
    h.ledger.startRun({ job: '9-cut', jobId: 9, service: 'moodle', at: new Date() });
    return h.engine.storePartial(
      { service: 'moodle', source: 'volume:moodledata', job: '9-cut', extra: [] },
      'files',
    );
  }

  it('backups marks it incomplete and says it is never chosen', async () => {
    const { h, t } = setup();
    await t.run(admin, 'backup moodle');
    const partial = cutShort(h);
    const outcome = await t.run(admin, 'backups moodle');
    expect(outcome.message.code?.content).toMatch(
      new RegExp(`${partial}\\s.*\\svolume:moodledata\\s+tar\\s+INCOMPLETE`),
    );
    expect(outcome.message.text).toContain(
      'Not known to be complete: 1; never chosen as latest nor counted by the retention policy.',
    );
  });

  it('restore by its id: refused without --incomplete, even with --yes; with it, warned and asked', async () => {
    const { h, t } = setup();
    await t.run(admin, 'backup moodle');
    const partial = cutShort(h);
    for (const extra of [{}, { preconfirmed: true }]) {
      const refused = await t.run(admin, `restore moodle ${partial}`, extra);
      expect(refused.errorCode).toBe('backup-snapshot-not-complete');
      expect(refused.message.text).toContain(
        `Snapshot ${partial} of moodle: INCOMPLETE (its job was cut short); it is not known to be complete; nothing was changed.`,
      );
      expect(refused.message.text).toContain(`restore moodle ${partial} --incomplete`);
    }
    expect(h.control.calls).toEqual([]);

    const byId = await t.run(admin, `restore moodle ${partial} --incomplete`);
    expect(byId.status).toBe('pending');
    expect(byId.message.text?.split('\n')[0]).toBe(
      `⚠ Snapshot \`${partial}\` (volume:moodledata) is INCOMPLETE (its job was cut short): ` +
        'it is not known to be complete. Restoring it may leave the service with part of its ' +
        'data. Go on only if you are sure.',
    );
    const latest = await t.run(admin, 'restore moodle latest');
    expect(latest.message.text).not.toContain(partial);
    expect(latest.message.text).not.toContain('⚠');
  });
});

describe('a cancelled backup', () => {
  it('tells what else failed on the way: the hook after, and what it stored that stays', async () => {
    const volume = new FakeSource('volume:moodledata', 'files v1');
    // A source still being read when the cancel comes.
    const slow = {
      id: 'postgres:moodle',
      filename: 'moodle.dump',
      produce: (signal?: AbortSignal) =>
        new Promise<never>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
      consume: () => Promise.reject(new Error('not in this test')),
    };
    const hooks = {
      before: () => Promise.resolve(),
      after: () => Promise.reject(new Error('maintenance off failed')),
    };
    const h = harness({ moodle: { sources: [volume, slow], hooks } });
    const t = createTestBot({ catalog, backups: h.service, backupLedger: h.ledger });
    h.engine.forgetError = new Error('repository is locked');

    const running = t.run(admin, 'backup moodle');
    await waitFor(() => h.engine.stored.length === 1, 'the volume to be stored');
    const [job] = t.jobs.list({ limit: 1, activeOnly: true });
    await t.run(admin, `cancel ${job?.id ?? 0}`);
    const outcome = await running;

    expect(t.jobs.get(job?.id ?? 0)?.state).toBe('cancelled');
    for (const told of [outcome.message.text ?? '', t.jobs.get(job?.id ?? 0)?.result ?? '']) {
      expect(told).toContain(`Job ${job?.id ?? 0} was cancelled`);
      expect(told).toContain('maintenance off failed');
      expect(told).toMatch(/could not be removed: `repository is locked`/);
    }
  });
});

describe('restore command', () => {
  it('describes exactly what will be overwritten, waits for a confirmation, then restores', async () => {
    const { h, volume, db, t } = setup();
    await t.run(admin, 'backup moodle');
    volume.data = Buffer.from('files v2');
    db.data = Buffer.from('dump v2');

    const pending = await t.run(admin, 'restore moodle latest');
    expect(pending.status).toBe('pending');
    const text = pending.message.text ?? '';
    expect(text).toContain(
      '• volume `moodledata`: emptied, then filled from snapshot `aaaaaaa1` of 2025-01-01 00:01 UTC (8 B)',
    );
    expect(text).toContain(
      '• database `moodle`: replaced by the dump (pg_restore --clean --if-exists) from snapshot `aaaaaaa2`',
    );
    expect(text).toContain('A safety backup of the current state is taken first');
    expect(volume.data.toString()).toBe('files v2');

    const code = (pending.data as { confirmation: string }).confirmation;
    const done = await t.run(admin, `confirm ${code}`);
    expect(done.status).toBe('ok');
    expect(volume.data.toString()).toBe('files v1');
    expect(db.data.toString()).toBe('dump v1');
    expect(h.control.calls).toEqual(['stop moodle', 'start moodle', 'wait moodle']);
    expect(done.message.text).toMatch(
      /To return to the state before this restore: restore moodle aaaaaaa3/,
    );
  });

  it('refuses ../../etc and another service’s snapshot with nothing touched, no job, no question', async () => {
    const { h, volume, t } = setup();
    await t.run(admin, 'backup moodle');
    const [first] = h.engine.stored;
    if (first === undefined) throw new Error('no snapshot');
    h.engine.stored.push({
      ...first,
      id: 'cccc0001',
      tags: { ...first.tags, service: 'keycloak' },
    });
    const jobsBefore = t.jobs.list({ limit: 100 }).length;

    const bad = await t.run(admin, 'restore moodle ../../etc');
    expect(bad).toMatchObject({ status: 'usage', errorCode: 'backup-snapshot-invalid' });
    const other = await t.run(admin, 'restore moodle cccc0001');
    expect(other).toMatchObject({ status: 'usage', errorCode: 'backup-snapshot-other-service' });
    expect(other.message.text).toContain(
      'Snapshot cccc0001 belongs to keycloak, not to moodle; nothing was changed.',
    );
    expect(t.jobs.list({ limit: 100 })).toHaveLength(jobsBefore);
    // Confirmed in advance (--yes), the check runs inside the job: it fails before any step.
    const unknown = await t.run(admin, 'restore moodle 0123abcd', { preconfirmed: true });
    expect(unknown).toMatchObject({ status: 'usage', errorCode: 'backup-snapshot-unknown' });
    expect(t.jobs.get(unknown.jobId ?? 0)?.state).toBe('failed');

    expect(h.control.calls).toEqual([]);
    expect(volume.consumed).toBe(0);
  });

  it('--dry-run shows the plan and changes nothing', async () => {
    const { h, t } = setup();
    await t.run(admin, 'backup moodle');
    const outcome = await t.run(admin, 'restore moodle aaaaaaa1 --only volumes --dry-run');
    expect(outcome.status).toBe('ok');
    expect(outcome.message.title).toBe('Plan (nothing was changed)');
    expect(outcome.message.text).toContain('volume `moodledata`');
    expect(outcome.message.text).not.toContain('database');
    expect(h.control.calls).toEqual([]);
  });

  it('a failure after the stop: the service is started again and the error names the way back', async () => {
    const { h, db, t } = setup();
    await t.run(admin, 'backup moodle');
    db.failConsume = true;
    const outcome = await t.run(admin, 'restore moodle latest', { preconfirmed: true });
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'backup-restore-failed' });
    expect(outcome.message.text).toContain('The service was started again.');
    expect(outcome.message.text).toContain(
      'To return to the state before the restore: restore moodle aaaaaaa3',
    );
    expect(h.control.calls).toEqual(['stop moodle', 'start moodle']);
  });
});

describe('verify command', () => {
  it('fails when a snapshot is corrupted, naming it', async () => {
    const { h, t } = setup();
    await t.run(admin, 'backup moodle');
    h.engine.corrupt('aaaaaaa1');
    const outcome = await t.run(admin, 'проверить moodle', { locale: 'ru' });
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'backup-verify-failed' });
    expect(outcome.message.text).toContain('volume:moodledata (aaaaaaa1): sha256');
  });
});

describe('status with backups', () => {
  it('shows the last successful backup and drill per service once the ledger has them', async () => {
    const volume = new FakeSource('volume:moodledata', 'files v1');
    const h = harness({ moodle: { sources: [volume] } });
    const platform = fakePlatform({
      moodle: { service: 'moodle', state: 'up', containers: [] },
      keycloak: { service: 'keycloak', state: 'up', containers: [] },
    });
    const t = createTestBot({ catalog, platform, backups: h.service, backupLedger: h.ledger });
    expect((await t.run(admin, 'status')).message.fields).toBeUndefined();

    await t.run(admin, 'backup moodle');
    const fields = (await t.run(admin, 'status')).message.fields ?? [];
    expect(fields).toHaveLength(1);
    expect(fields[0]?.label).toBe('moodle: backups');
    expect(fields[0]?.value).toMatch(
      /^backup \d{4}-\d\d-\d\d \d\d:\d\d UTC \(0s ago\) · no drill yet$/,
    );

    await t.run(admin, 'verify moodle');
    expect((await t.run(admin, 'status')).message.fields?.[0]?.value).toMatch(
      / · drill .* UTC \(0s ago\)$/,
    );
  });
});
