/**
 * Goldens of jobs, job, cancel, audit, confirm and decline with their refusals, the busy
 * answer and the permission refusals: in Russian and English, in the three renderings.
 */
import type { Locale } from '../../src/core/i18n.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  admin,
  createBed,
  goldenTranscripts,
  invoke,
  operator,
  teacher,
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

  await ask('jobs (none yet)', admin, 'jobs');
  await ask('jobs --active (none yet)', admin, 'jobs --active');

  // A restart that waits: the service is busy meanwhile.
  let open = (): void => undefined;
  platform.gate = new Promise((resolve) => (open = resolve));
  const running = invoke(bed, admin, 'restart moodle', locale);
  await waitFor(
    () => bed.jobs.list({ limit: 5 }).some((j) => j.state === 'running'),
    'a running job',
  );
  await ask('busy: another mutating command on the same service', admin, 'scale moodle 3');
  await ask('jobs --active (one running)', admin, 'jobs --active');
  await ask('job 1 (running)', admin, 'job 1');
  bed.advance(65_000);
  open();
  platform.gate = undefined;
  t.show('the restart that was running', await running);
  await ask('job 1 (finished)', admin, 'job 1');

  // A restart cancelled while it waits.
  platform.gate = new Promise((resolve) => (open = resolve));
  const doomed = invoke(bed, admin, 'restart moodle', locale);
  await waitFor(
    () => bed.jobs.list({ limit: 5 }).some((j) => j.state === 'running'),
    'a running job',
  );
  await ask('cancel 2', admin, 'cancel 2');
  t.show('the restart that was cancelled', await doomed);
  open();
  platform.gate = undefined;
  await ask('cancel 2 again (not active)', admin, 'cancel 2');
  await ask('job 99 (unknown)', admin, 'job 99');
  await ask('job 2 (cancelled)', admin, 'job 2');
  await ask('jobs (three)', admin, 'jobs');
  await ask('jobs --last 2', admin, 'jobs --last 2');

  // Confirmations and their refusals.
  const pending = await invoke(bed, operator, 'scael moodle 0', locale);
  t.show('a typo in the command', pending);
  const scale = await invoke(bed, admin, 'scale moodle 0', locale);
  t.show('scale to 0 asks for a confirmation', scale);
  const code = t.code(scale.outcome);
  await ask('confirm by someone who may not', teacher, `confirm ${code}`);
  await ask('decline by the one who asked', admin, `decline ${code}`);
  await ask('confirm after the decline', admin, `confirm ${code}`);
  await ask('confirm an unknown code', admin, 'confirm ZZZZ');
  await ask('confirm a malformed code', admin, 'confirm 12');
  const late = await invoke(bed, admin, 'scale moodle 0', locale);
  t.show('another confirmation', late);
  bed.advance(6 * 60_000);
  await ask('confirm after it expired', admin, `confirm ${t.code(late.outcome)}`);

  // Permission refusals.
  await ask('a teacher tries to restart', teacher, 'restart moodle');
  await ask('someone unknown tries status', 'mattermost:stranger', 'status');
  await ask('an unknown command', admin, 'restrat moodle');
  await ask('an unknown service', admin, 'status moodel');
  await ask('a missing argument', admin, 'scale moodle');
  await ask('an unknown option', admin, 'jobs --all');

  await ask('audit --last 5', admin, 'audit --last 5');
  await ask('audit verify', admin, 'audit verify');
  return t.text();
}

goldenTranscripts('jobs, confirmations and refusals, golden', 'jobs', transcript);
