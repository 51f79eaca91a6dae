/**
 * The posts that name people and rooms, as people read them in both languages (golden):
 * a busy answer, a refusal to decide with who may, a job's details and the job list, each
 * with `@username` and the channel's name instead of ids.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Locale } from '../../../src/core/i18n.ts';
import { startHarness, waitFor, type Harness } from '../../fakes/mattermost/harness.ts';
import { visibleText, type FakePost, type FakeUser } from '../../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

/** Times, durations, percentages and codes change from run to run; their shape stays. */
function steady(text: string): string {
  return (
    text
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?(?: [^\s│|]+)?/g, '<time>')
      .replace(/\b\d+ %/g, '<n> %')
      .replace(/^(Duration|Длительность): .*$/gm, '$1: <duration>')
      // A confirmation code (src/core/confirmations.ts), digits only as well: 9728 is one.
      .replace(/(?<=(?:подтверждение|onfirmation|confirm|decline) )[2-9A-HJ-NP-Z]{4}\b/g, '<code>')
      .replace(/\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4}\b|\b[A-Z]{4}\b/g, '<code>')
      // A table pads its columns to the widest value, which the values above changed.
      .replace(/ {2,}/g, '  ')
  );
}

function shown(post: FakePost | Record<string, unknown>): string {
  const props = (post['props'] ?? {}) as Record<string, unknown>;
  const attachments = Array.isArray(props['attachments'])
    ? (props['attachments'] as { fields?: { title: string; value: string }[] }[])
    : [];
  const fields = attachments.flatMap((a) => a.fields ?? []).map((f) => `${f.title}: ${f.value}`);
  const message = typeof post['message'] === 'string' ? post['message'] : '';
  return steady([visibleText({ message, props }), ...fields].join('\n'));
}

function ephemerals(t: Harness, user: FakeUser): string[] {
  return t.fake.data.ephemerals.filter((e) => e.userId === user.id).map((e) => shown(e.post));
}

async function ask(t: Harness, user: FakeUser, command: string): Promise<string> {
  const asked = t.fake.say(user, t.ops, `@pes ${command}`);
  const answers = (): FakePost[] =>
    t.fake.data.botPosts(t.ops.id).filter((p) => p.root_id === asked.id);
  await waitFor(() => answers().length === 1, `the answer to ${command}`);
  return shown(answers()[0] as FakePost);
}

async function posts(locale: Locale): Promise<Record<string, string>> {
  const t = await startHarness({ opsLocale: locale });
  h = t;
  for (const user of [t.admin, t.operator, t.stranger]) user.locale = locale;
  await waitFor(() => t.adapter.me !== undefined, 'the socket');
  await t.adapter.settled();
  await ask(t, t.operator, 'crunch moodle 1');
  await waitFor(() => t.audit.last(1)[0]?.result === 'ok (job 1)', 'the first job');
  // The second job holds moodle while the admin asks.
  t.fake.say(t.operator, t.ops, '@pes crunch moodle 40');
  await waitFor(() => t.fake.data.botPosts(t.ops.id).length === 2, 'the progress post');
  t.fake.say(t.admin, t.ops, '@pes crunch moodle');
  await waitFor(() => ephemerals(t, t.admin).length === 1, 'the busy answer');
  const prompt = await ask(t, t.admin, 'wipe keycloak');
  const code = /confirm ([A-Z0-9]{4})/.exec(
    visibleText(t.fake.data.botPosts(t.ops.id).at(-1) as FakePost),
  )?.[1];
  t.fake.say(t.operator, t.ops, `@pes confirm ${code ?? ''}`);
  await waitFor(() => ephemerals(t, t.operator).length === 1, 'the refusal to decide');
  return {
    busy: ephemerals(t, t.admin)[0] ?? '',
    prompt,
    notAllowed: ephemerals(t, t.operator)[0] ?? '',
    job: await ask(t, t.admin, 'job 1'),
    jobs: await ask(t, t.admin, 'jobs --last 1'),
  };
}

describe('Mattermost: people and rooms by name (golden)', () => {
  for (const locale of ['ru', 'en'] as const) {
    it(`reads well in ${locale}`, async () => {
      const read = await posts(locale);
      expect(read['busy']).toContain('@oleg');
      await expect(golden(read)).toMatchFileSnapshot(`./golden/people-${locale}.json`);
    }, 30_000);
  }
});
