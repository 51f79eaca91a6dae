/**
 * Goldens of the alert commands (alerts, alerts ack, silence, silences, unsilence) and of the
 * alert posts themselves (firing, acknowledged, silenced, resolved), in Russian and English,
 * in the three renderings. The storm digest has its own goldens (test/alerts).
 */
import { renderAlertGroup } from '../../src/alerts/render.ts';
import type { Locale } from '../../src/core/i18n.ts';
import { fixture } from '../alerts/fixtures.ts';
import { admin, createBed, goldenTranscripts, invoke, oncall, Transcript } from './bed.ts';
import { goldenPlatform } from './platform.ts';
import { allViews } from './render.ts';

const runbooks = [{ match: {}, matchRe: {}, label: 'Restart moodle', command: 'restart moodle' }];

async function transcript(locale: Locale): Promise<string> {
  const t = new Transcript(locale);
  const bed = createBed(goldenPlatform());
  const ask = async (heading: string, actor: string, text: string): Promise<void> => {
    t.show(heading, await invoke(bed, actor, text, locale));
  };

  const post = (heading: string, ...args: Parameters<typeof renderAlertGroup>): void =>
    t.note(`\n## ${heading}\n${allViews(renderAlertGroup(...args), locale)}`);
  post('alert post: firing', fixture('firing'), {
    locale,
    runbooks,
    silenceButtons: true,
    acknowledge: { threadId: 7, by: undefined },
  });
  post('alert post: acknowledged and silenced', fixture('firing'), {
    locale,
    silenceButtons: true,
    acknowledge: { threadId: 7, by: 'olga' },
    silenced: { until: '2026-12-06 04:14 GMT+3', by: 'olga' },
  });
  post('alert post: resolved', fixture('resolved'), {
    locale,
    acknowledge: { threadId: 7, by: 'olga' },
  });

  await ask('alerts (none)', oncall, 'alerts');
  bed.alerts.alerts.push({
    labels: { alertname: 'MoodleDown', severity: 'critical', instance: 'moodle:80' },
    annotations: { summary: 'Moodle does not answer' },
    startsAt: '2026-12-06T00:02:00Z',
    fingerprint: 'f1',
    status: { state: 'active' },
  });
  bed.alerts.alerts.push({
    labels: { alertname: 'DiskAlmostFull', severity: 'warning', instance: 'node-1' },
    annotations: {},
    startsAt: '2026-12-05T22:40:00Z',
    fingerprint: 'f2',
    status: { state: 'suppressed', silencedBy: ['s1'] },
  });
  await ask('alerts (two)', oncall, 'alerts');
  await ask('alerts severity=critical', oncall, 'alerts severity=critical');
  await ask('alerts: a bad filter', oncall, 'alerts severity');
  await ask('alerts ack 7', admin, 'alerts ack 7');
  await ask('alerts ack 8 (no such thread)', admin, 'alerts ack 8');
  await ask('silences (none)', oncall, 'silences');
  await ask('silence', oncall, 'silence alertname=MoodleDown 2h planned maintenance');
  await ask('silence from a post', oncall, 'silence alertname=MoodleDown 1h --thread 7');
  await ask('silences (two)', oncall, 'silences');
  await ask('silence: no duration', oncall, 'silence alertname=MoodleDown');
  await ask('silence: a bad duration', oncall, 'silence alertname=MoodleDown 100d');
  await ask('silence: no matchers', oncall, 'silence 2h');
  await ask('silence: a matcher for everything', oncall, 'silence alertname=~.* 2h');
  await ask(
    'unsilence by someone who may not',
    oncall,
    'unsilence 5e1f0c2a-0000-4000-8000-000000000001',
  );
  await ask('unsilence', admin, 'unsilence 5e1f0c2a-0000-4000-8000-000000000001');
  await ask('unsilence: unknown', admin, 'unsilence 5e1f0c2a-0000-4000-8000-00000000000f');
  return t.text();
}

goldenTranscripts('alerts, golden', 'alerts', transcript);
