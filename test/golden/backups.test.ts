/**
 * Goldens of backup, backups, restore, verify, backup unlock and backup prune: made, listed,
 * restored, verified, and the ways they fail, in Russian and English, in the three renderings.
 */
import { UserError } from '../../src/core/errors.ts';
import type { Locale } from '../../src/core/i18n.ts';
import {
  admin,
  createBed,
  goldenTranscripts,
  invoke,
  operator,
  terminalPrompt,
  Transcript,
} from './bed.ts';
import { goldenPlatform } from './platform.ts';

async function transcript(locale: Locale): Promise<string> {
  const t = new Transcript(locale);
  const bed = createBed(goldenPlatform());
  const h = bed.backups;
  const ask = async (heading: string, actor: string, text: string): Promise<void> => {
    t.show(heading, await invoke(bed, actor, text, locale));
  };

  await ask('backups before any backup', admin, 'backups moodle');
  await ask('status with backups configured, none made yet', admin, 'status moodle');
  await ask('backup --dry-run', admin, 'backup moodle --dry-run');
  await ask('backup', admin, 'backup moodle --tag pre-upgrade');
  await ask('backup of the volumes only', admin, 'backup moodle --only volumes');
  await ask('backup: a reserved tag', admin, 'backup moodle --tag safety');
  await ask('backup of a service with nothing to back up', admin, 'backup keycloak');
  // What the restic engine makes of a locked repository (src/backup/engines).
  h.engine.forgetError = new UserError('backup-repo-locked', {
    repository: '/srv/backup/restic',
    holder: 'PID 4242 on backup-host',
  });
  await ask('backup whose retention fails', admin, 'backup moodle');
  h.engine.forgetError = undefined;
  await ask('backup with retention removing old snapshots', admin, 'backup moodle');
  h.ledger.startRun({ job: '9-cut', jobId: 9, service: 'moodle', at: new Date() });
  const partial = h.engine.storePartial(
    { service: 'moodle', source: 'volume:moodledata', job: '9-cut', extra: [] },
    'files',
  );
  await ask('backups (one incomplete)', admin, 'backups moodle');
  await ask('backups --last 1', admin, 'backups moodle --last 1');
  await ask('status with the last backup', admin, 'status moodle');
  await ask('restore an incomplete snapshot', admin, `restore moodle ${partial}`);
  await ask('restore --dry-run', admin, 'restore moodle latest --dry-run');
  const pending = await invoke(bed, admin, 'restore moodle latest', locale);
  t.show('restore: the confirmation', pending);
  t.note(
    `--- terminal prompt\n${await terminalPrompt(bed, admin, 'restore moodle latest', locale)}`,
  );
  await ask('restore: confirmed', admin, `confirm ${t.code(pending.outcome)}`);
  await ask('restore an unknown snapshot', admin, 'restore moodle deadbeef');
  await ask('restore ../etc', admin, 'restore moodle ../etc');
  const source = h.plans.get('moodle')?.sources[1];
  if (source instanceof Object && 'failConsume' in source) source.failConsume = true;
  const failing = await invoke(bed, admin, 'restore moodle latest', locale);
  await ask('restore that fails after the stop', admin, `confirm ${t.code(failing.outcome)}`);
  if (source instanceof Object && 'failConsume' in source) source.failConsume = false;
  await ask('verify --dry-run', admin, 'verify moodle --dry-run');
  await ask('verify', admin, 'verify moodle');
  const first = (await h.engine.list('moodle')).find((s) => !s.tags.extra.includes('safety'));
  if (first !== undefined) h.engine.corrupt(first.id);
  await ask('verify of a corrupted snapshot', admin, 'verify moodle');
  h.engine.checkError = new Error('Fatal: pack 1a2b3c: 1 errors');
  await ask('verify when the repository check fails', admin, 'verify moodle');
  h.engine.checkError = undefined;
  await ask('backup unlock by someone who may back up', operator, 'backup unlock');
  await ask('backup unlock', admin, 'backup unlock');
  await ask('backup prune --dry-run', admin, 'backup prune --dry-run');
  await ask('backup prune', admin, 'backup prune');
  await ask('backups (after all this)', admin, 'backups moodle');
  const none = createBed(goldenPlatform(), { backups: false });
  t.show('backup without a backup section', await invoke(none, admin, 'backup moodle', locale));
  return t.text();
}

goldenTranscripts('backups, golden', 'backups', transcript);
