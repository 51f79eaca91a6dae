/**
 * People and rooms by name in Mattermost, and each person's own language: `@username` and
 * the channel's display name from the users and channels API where the bot shows a person or
 * a room; the id where the lookup fails or is too slow; refusals in the language of the
 * person's profile, shared posts in the room's; `--lang` in a chat command.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startHarness,
  waitFor,
  type Harness,
  type HarnessOptions,
} from '../../fakes/mattermost/harness.ts';
import { visibleText, type FakePost, type FakeUser } from '../../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function connected(options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness(options);
  h = harness;
  await waitFor(
    () => harness.fake.sockets.connected === 1 && harness.adapter.me !== undefined,
    'the socket',
  );
  await harness.adapter.settled();
  return harness;
}

/** The texts of the ephemeral posts one person got. */
function ephemeralsOf(t: Harness, user: FakeUser): string[] {
  return t.fake.data.ephemerals
    .filter((e) => e.userId === user.id)
    .map((e) =>
      visibleText({
        message: typeof e.post['message'] === 'string' ? e.post['message'] : '',
        props: (e.post['props'] ?? {}) as Record<string, unknown>,
      }),
    );
}

/** A post as people see it, its attachments' fields included. */
function shown(post: FakePost): string {
  const attachments = Array.isArray(post.props['attachments'])
    ? (post.props['attachments'] as { fields?: { title: string; value: string }[] }[])
    : [];
  const fields = attachments.flatMap((a) => a.fields ?? []).map((f) => `${f.title}: ${f.value}`);
  return [visibleText(post), ...fields].join('\n');
}

/** The bot's posts in a thread, as people see them. */
function thread(t: Harness, rootId: string): string[] {
  return t.fake.data
    .botPosts(t.ops.id)
    .filter((p) => p.root_id === rootId)
    .map(shown);
}

/** Asks in the ops channel and waits for the bot's one answer in the thread. */
async function ask(t: Harness, user: FakeUser, command: string): Promise<string> {
  const asked = t.fake.say(user, t.ops, `@pes ${command}`);
  await waitFor(() => thread(t, asked.id).length === 1, `the answer to ${command}`);
  return thread(t, asked.id)[0] ?? '';
}

/** The operator's job holds moodle; resolves once its progress post is there. */
async function busyMoodle(t: Harness): Promise<void> {
  t.fake.say(t.operator, t.ops, '@pes crunch moodle 40');
  await waitFor(() => t.fake.data.botPosts(t.ops.id).length === 1, 'the progress post');
}

const cyrillic = /[а-яё]/i;

describe('Mattermost: people and rooms by name', () => {
  it('names the owner of the job that holds a service in a busy answer', async () => {
    const t = await connected();
    await busyMoodle(t);
    t.fake.say(t.admin, t.ops, '@pes crunch moodle');
    await waitFor(() => ephemeralsOf(t, t.admin).length === 1, 'the busy answer');
    const busy = ephemeralsOf(t, t.admin)[0] ?? '';
    expect(busy).toContain('crunch by @oleg');
    expect(busy).not.toContain(t.operator.id);
  });

  it('says by name who may confirm', async () => {
    const t = await connected();
    t.fake.say(t.admin, t.ops, '@pes wipe moodle');
    await waitFor(() => t.fake.data.botPosts(t.ops.id).length === 1, 'the prompt');
    const prompt = t.fake.data.botPosts(t.ops.id)[0];
    const code =
      prompt === undefined ? undefined : /confirm ([A-Z0-9]{4})/.exec(shown(prompt))?.[1];
    expect(code).toBeDefined();
    t.fake.say(t.operator, t.ops, `@pes confirm ${code ?? ''}`);
    await waitFor(() => ephemeralsOf(t, t.operator).length === 1, 'the refusal');
    const refusal = ephemeralsOf(t, t.operator)[0] ?? '';
    expect(refusal).toContain('@oleg may not decide');
    expect(refusal).toContain('Who may decide: @anna, admin');
    expect(refusal).not.toContain(t.admin.id);
  });

  it('shows people and rooms by name in jobs, job and audit; their data keeps the ids', async () => {
    const t = await connected();
    await ask(t, t.operator, 'crunch moodle 1');
    await waitFor(() => t.audit.last(1)[0]?.result === 'ok (job 1)', 'the end of the job');
    const jobs = await ask(t, t.admin, 'jobs');
    expect(jobs).toContain('@oleg');
    expect(jobs).not.toContain(t.operator.id);
    const job = await ask(t, t.admin, 'job 1');
    expect(job).toContain('@oleg');
    expect(job).toContain('ops');
    expect(job).not.toContain(t.ops.id);
    const audit = await ask(t, t.admin, 'audit');
    expect(audit).toContain('@oleg');
    expect(audit).toContain('@anna');
    expect(audit).not.toContain(t.ops.id);
    expect(t.audit.last(1)[0]?.actor).toBe(`mattermost:${t.admin.id}`);
  });

  it('shows the id when the users API is too slow, and still answers', async () => {
    const t = await connected({ people: { timeoutMs: 100 } });
    t.fake.rest.usersDelayMs = 30_000;
    await busyMoodle(t);
    t.fake.say(t.admin, t.ops, '@pes crunch moodle');
    await waitFor(() => ephemeralsOf(t, t.admin).length === 1, 'the busy answer');
    expect(ephemeralsOf(t, t.admin)[0]).toContain(`crunch by mattermost:${t.operator.id}`);
  });

  it('shows the id of a person the server does not know', async () => {
    const t = await connected();
    // The account is not on the server (POST /users/ids leaves the id out).
    t.fake.data.users.delete(t.operator.id);
    await busyMoodle(t);
    t.fake.say(t.admin, t.ops, '@pes crunch moodle');
    await waitFor(() => ephemeralsOf(t, t.admin).length === 1, 'the busy answer');
    expect(ephemeralsOf(t, t.admin)[0]).toContain(`crunch by mattermost:${t.operator.id}`);
  });
});

describe('Mattermost: button clicks and names', () => {
  it('asks nothing about the person behind a click whose signature is wrong', async () => {
    const t = await connected();
    const stranger = t.fake.data.addUser('mallory');
    const lookups = (): number =>
      t.fake.rest.log.filter((r) => r.route.startsWith('POST /api/v4/users/ids')).length;
    const before = lookups();
    const result = await t.fake.forgeClick(`${t.baseUrl}/mattermost/actions`, {
      user_id: stranger.id,
      user_name: stranger.username,
      channel_id: t.ops.id,
      post_id: 'p'.repeat(26),
      context: { command: 'confirm ZZZZ', sig: '0'.repeat(64) },
    });
    expect(String(result.body['ephemeral_text'])).toContain('signature');
    expect(lookups()).toBe(before);
  });

  it("refuses a signed click of someone not allowed in the clicker's language", async () => {
    const t = await connected({ opsLocale: 'ru' });
    t.operator.locale = 'en';
    t.fake.say(t.admin, t.ops, '@pes wipe moodle');
    await waitFor(() => t.fake.data.botPosts(t.ops.id).length === 1, 'the prompt');
    const prompt = t.fake.data.botPosts(t.ops.id)[0] as FakePost;
    const click = await t.fake.click(t.operator, prompt, 0);
    const text = String(click.body['ephemeral_text']);
    expect(text).toContain('Who may decide: @anna, admin');
    expect(text).not.toMatch(cyrillic);
  });
});

describe("Mattermost: a person's own language", () => {
  it('answers an English-speaking person privately in English in a Russian room, and posts for everyone in Russian', async () => {
    const t = await connected({ opsLocale: 'ru' });
    t.admin.locale = 'en';
    t.stranger.locale = 'ru';
    // Private: a refusal of anna's own typing error, in her language.
    t.fake.say(t.admin, t.ops, '@pes crunch nosuch');
    await waitFor(() => ephemeralsOf(t, t.admin).length === 1, 'the refusal');
    const refusal = ephemeralsOf(t, t.admin)[0] ?? '';
    expect(refusal).toContain('Unknown service "nosuch"');
    expect(refusal).not.toMatch(cyrillic);
    // Shared: her confirmation prompt is for the whole room, in the room's language.
    const prompt = await ask(t, t.admin, 'wipe moodle');
    expect(prompt).toMatch(cyrillic);
    // Another person's refusal, in theirs.
    t.fake.say(t.stranger, t.ops, '@pes crunch moodle');
    await waitFor(() => ephemeralsOf(t, t.stranger).length === 1, 'the refusal');
    expect(ephemeralsOf(t, t.stranger)[0]).toMatch(cyrillic);
  });

  it("acknowledges a slash command in the person's language", async () => {
    const t = await connected({ opsLocale: 'ru' });
    t.operator.locale = 'en-GB';
    const result = await t.fake.slash(
      t.commandUrl,
      'slash-token-team-a-0001',
      t.operator,
      t.ops,
      'nap',
    );
    expect(result.body['response_type']).toBe('ephemeral');
    expect(String(result.body['text'])).not.toMatch(cyrillic);
    // A language the bot does not speak: the room's.
    t.stranger.locale = 'de';
    const other = await t.fake.slash(
      t.commandUrl,
      'slash-token-team-a-0001',
      t.stranger,
      t.ops,
      'crunch moodle',
    );
    expect(JSON.stringify(other.body)).toMatch(cyrillic);
  });

  it('answers everything in a direct chat in the language of the person', async () => {
    const t = await connected();
    t.admin.locale = 'ru';
    const dm = t.fake.data.directChannel(t.admin, t.fake.bot);
    t.fake.say(t.admin, dm, 'jobs');
    await waitFor(() => t.fake.data.botPosts(dm.id).length === 1, 'the answer');
    expect(visibleText(t.fake.data.botPosts(dm.id)[0] as FakePost)).toContain(
      'Задач пока не было.',
    );
  });

  it('answers in the language a command asks for with --lang', async () => {
    const t = await connected({ opsLocale: 'ru' });
    expect(await ask(t, t.admin, 'jobs')).toContain('Задач пока не было.');
    expect(await ask(t, t.admin, 'jobs --lang en')).toContain('No jobs yet.');
    t.fake.say(t.admin, t.ops, '@pes jobs --lang de');
    await waitFor(() => ephemeralsOf(t, t.admin).length === 1, 'the refusal');
    expect(ephemeralsOf(t, t.admin)[0]).toContain('--lang');
  });
});
