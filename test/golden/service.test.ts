/**
 * Goldens of help, whoami, status, logs, restart, scale, update and rollback: every answer
 * in Russian and English, in a terminal, in Mattermost and in Matrix.
 */
import type { Locale } from '../../src/core/i18n.ts';
import {
  admin,
  createBed,
  goldenTranscripts,
  invoke,
  oncall,
  teacher,
  terminalPrompt,
  Transcript,
} from './bed.ts';
import { goldenPlatform } from './platform.ts';

async function transcript(locale: Locale): Promise<string> {
  const t = new Transcript(locale);
  const platform = goldenPlatform();
  const bed = createBed(platform);
  const ask = async (heading: string, actor: string, text: string): Promise<void> => {
    t.show(heading, await invoke(bed, actor, text, locale));
  };
  const confirmAndRun = async (heading: string, text: string): Promise<void> => {
    const pending = await invoke(bed, admin, text, locale);
    t.show(`${heading}: the confirmation`, pending);
    t.note(`--- terminal prompt\n${await terminalPrompt(bed, admin, text, locale)}`);
    const code = t.code(pending.outcome);
    t.show(`${heading}: confirmed`, await invoke(bed, admin, `confirm ${code}`, locale));
  };

  await ask('help (admin)', admin, 'help');
  await ask('help (teacher)', teacher, 'help');
  await ask('help status', admin, 'help status');
  await ask('whoami', oncall, 'whoami');
  await ask('status (all)', admin, 'status');
  await ask('status moodle', admin, 'status moodle');
  await ask('status keycloak (no containers)', admin, 'status keycloak');
  await ask('logs moodle', admin, 'logs moodle --lines 20 --since 2h');
  await ask('logs keycloak (none)', admin, 'logs keycloak');
  await ask('restart moodle', admin, 'restart moodle');
  await ask('restart --dry-run', admin, 'restart moodle --dry-run');
  await ask('scale to the same', admin, 'scale moodle 2');
  await ask('scale up (dry run)', admin, 'scale moodle 4 --dry-run');
  await ask('scale up', admin, 'scale moodle 4');
  await confirmAndRun('scale down to 0', 'scale moodle 0');
  await ask('scale out of bounds', admin, 'scale moodle 9');
  await ask('update (dry run)', admin, 'update moodle 4.6 --dry-run');
  await confirmAndRun('update', 'update moodle 4.6');
  platform.failUpdate = true;
  await confirmAndRun('update that fails and rolls back by itself', 'update moodle 4.6');
  await ask('update: nothing to change', admin, 'update keycloak');
  await confirmAndRun('rollback', 'rollback moodle');
  platform.failUpdate = true;
  await confirmAndRun('rollback that fails and is put back', 'rollback moodle');
  await ask('rollback (dry run)', admin, 'rollback moodle --dry-run');
  return t.text();
}

goldenTranscripts('service commands, golden', 'service', transcript);
