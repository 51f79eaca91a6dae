/**
 * `restore … --force` means "replace the data of the --to volume": without --to it is a
 * usage error in one line, before any question, job, stop or engine call.
 */
import { describe, expect, it } from 'vitest';
import { createTestBot } from '../helpers/bot.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { FakeSource, harness } from './fakes.ts';

const admin = 'local:root';

describe('restore --force', () => {
  it('without --to is refused in one line, in Russian and English, with nothing touched', async () => {
    const volume = new FakeSource('volume:moodledata', 'files v1');
    const h = harness({ moodle: { sources: [volume], retention: { keepLast: 5 } } });
    const t = createTestBot({ catalog: testCatalog(), backups: h.service, backupLedger: h.ledger });
    expect((await t.run(admin, 'backup moodle')).status).toBe('ok');
    volume.data = Buffer.from('files v2');
    const jobsBefore = t.jobs.list({ limit: 100 }).length;

    for (const [locale, text] of [
      ['en', '--force works only together with --to <volume>; nothing was changed.'],
      ['ru', '--force действует только вместе с --to <том>; ничего не изменено.'],
    ] as const) {
      const asked = await t.run(admin, 'restore moodle latest --force', { locale });
      expect(asked).toMatchObject({ status: 'usage', errorCode: 'backup-force-needs-to' });
      expect(asked.message.text).toBe(text);
    }
    expect(t.jobs.list({ limit: 100 })).toHaveLength(jobsBefore);
    // Confirmed in advance, the same check fails the job before any step.
    const unseen = await t.run(admin, 'restore moodle latest --force --path x', {
      preconfirmed: true,
    });
    expect(unseen).toMatchObject({ status: 'usage', errorCode: 'backup-force-needs-to' });
    expect(h.control.calls).toEqual([]);
    expect(volume.data.toString()).toBe('files v2');
  });
});
