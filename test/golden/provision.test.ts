/**
 * Goldens of provision and deprovision: the plan, the confirmation, the result and the
 * refusals, in Russian and English, in the three renderings.
 */
import type { Locale } from '../../src/core/i18n.ts';
import { admin, createBed, goldenTranscripts, invoke, terminalPrompt, Transcript } from './bed.ts';
import { goldenPlatform } from './platform.ts';

async function transcript(locale: Locale): Promise<string> {
  const t = new Transcript(locale);
  const bed = createBed(goldenPlatform());
  const ask = async (heading: string, text: string): Promise<void> => {
    t.show(heading, await invoke(bed, admin, text, locale));
  };
  const confirmAndRun = async (heading: string, text: string): Promise<void> => {
    const pending = await invoke(bed, admin, text, locale);
    t.show(`${heading}: the confirmation`, pending);
    t.note(`--- terminal prompt\n${await terminalPrompt(bed, admin, text, locale)}`);
    t.show(
      `${heading}: confirmed`,
      await invoke(bed, admin, `confirm ${t.code(pending.outcome)}`, locale),
    );
  };

  await ask('provision without arguments', 'provision');
  await ask('provision --dry-run', 'provision testapp wiki run=r1 greeting=hi --dry-run');
  await confirmAndRun('provision', 'provision testapp wiki run=r1');
  await ask('provision: an instance that exists', 'provision testapp files run=r1');
  await ask('provision: an unknown template', 'provision nextcloud wiki');
  await ask('provision: a missing parameter', 'provision testapp wiki');
  await ask('provision: a bad value', 'provision testapp wiki run=R1!');
  await ask('provision: an unknown parameter', 'provision testapp wiki run=r1 colour=red');
  await ask('provision: a secret given inline', 'provision testapp wiki run=r1 password=hunter2');
  await ask('provision: a broken template', 'provision broken wiki');
  await ask('deprovision --dry-run', 'deprovision wiki --dry-run');
  await confirmAndRun('deprovision', 'deprovision wiki');
  await confirmAndRun('deprovision --delete-data', 'deprovision wiki --delete-data');
  await ask('deprovision: an unknown instance', 'deprovision ghost');
  return t.text();
}

goldenTranscripts('provision, golden', 'provision', transcript);
