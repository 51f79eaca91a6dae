/**
 * What a real Mattermost refuses and the fake used to allow: ephemeral posts without the
 * `create_post_ephemeral` permission (api4/post.go, createEphemeralPost: 403), and GETs over
 * the rate limit (the limiter wraps every request: app/server.go, app/ratelimit.go). The
 * person is still told, and a 429 on a GET is waited out for its Retry-After, not a crash,
 * not a lost command.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function connected(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const harness = await startHarness(options);
  h = harness;
  await waitFor(
    () => harness.fake.sockets.connected === 1 && harness.adapter.me !== undefined,
    'the socket',
  );
  await harness.adapter.settled();
  return harness;
}

function answers(harness: Harness, channelId: string, text: string): number {
  return harness.fake.data.botPosts(channelId).filter((p) => visibleText(p).includes(text)).length;
}

/**
 * For every 429 of a route that was asked again: how long the bot waited, and the Retry-After
 * it had been given (1 or 2 s, depending on how full the bucket was).
 */
function waitsAfter429(
  harness: Harness,
  route: (r: string) => boolean,
): { waited: number; told: number }[] {
  const requests = harness.fake.rest.log.filter((r) => route(r.route));
  return requests.flatMap((r, i) => {
    const next = requests.slice(i + 1).find((n) => n.route === r.route);
    if (r.status !== 429 || next === undefined) return [];
    return [{ waited: next.at - r.at, told: r.retryAfterMs ?? 0 }];
  });
}

/** Timer and clock granularity: a wait of Retry-After may measure a few ms short. */
const slackMs = 50;

describe('Mattermost as strict as the server', () => {
  it('tells a refused person in the thread when ephemeral posts are not allowed, and asks once', async () => {
    const t = await connected({ ephemeralPermission: false });
    const first = t.fake.say(t.stranger, t.ops, '@pes crunch moodle');
    const second = t.fake.say(t.stranger, t.ops, '@pes crunch moodle');
    const refusals = (): typeof t.fake.data.posts =>
      t.fake.data.botPosts(t.ops.id).filter((p) => visibleText(p).includes('operator'));
    await waitFor(() => refusals().length === 2, 'both refusals, posted normally');
    expect(refusals().map((p) => p.root_id)).toEqual([first.id, second.id]);
    expect(t.fake.data.ephemerals).toEqual([]);
    // The first refusal taught the bot; the second was not asked for in vain.
    const ephemeral = t.fake.rest.log.filter((r) => r.route === 'POST /api/v4/posts/ephemeral');
    expect(ephemeral.map((r) => r.status)).toEqual([403]);
    expect(t.logs.some((l) => l.includes('create_post_ephemeral'))).toBe(true);
    expect(t.audit.last(2).map((r) => r.decision)).toEqual(['denied', 'denied']);
  });

  it('waits out a 429 on its first GET for the Retry-After it was given', async () => {
    const t = await startHarness({ noStart: true });
    h = t;
    t.fake.rest.limiter = { perSecond: 0.5, burst: 1 };
    t.fake.rest.drainBucket();
    t.adapter.start();
    await waitFor(() => t.adapter.me !== undefined, 'the bot user', 20_000);
    const me = t.fake.rest.log.filter((r) => r.route === 'GET /api/v4/users/me');
    expect(me[0]?.status).toBe(429);
    expect(me.at(-1)?.status).toBe(200);
    // No attempt came sooner than the Retry-After of the 429 before it.
    const waits = waitsAfter429(t, (route) => route === 'GET /api/v4/users/me');
    expect(waits.length).toBeGreaterThan(0);
    for (const { waited, told } of waits) {
      expect(told).toBeGreaterThanOrEqual(1000);
      expect(waited).toBeGreaterThanOrEqual(told - slackMs);
    }
  }, 30_000);

  it('answers every command missed during a drop when the catch-up GETs are limited', async () => {
    const t = await connected();
    const dm = t.fake.data.directChannel(t.operator, t.fake.bot);
    t.fake.say(t.operator, dm, 'echo before');
    await waitFor(() => answers(t, dm.id, 'before') === 1, 'the first answer');

    t.fake.dropSockets(true);
    await waitFor(() => t.fake.sockets.stats.upgrades >= 2, 'a refused reconnect');
    t.fake.say(t.operator, dm, 'echo missed in a dm');
    t.fake.say(t.operator, t.ops, '@pes echo missed in a channel');
    // From here on Mattermost allows one request every 2 s, GETs included.
    t.fake.rest.limiter = { perSecond: 0.5, burst: 1 };
    t.fake.rest.drainBucket();
    t.fake.acceptSockets();

    await waitFor(() => answers(t, dm.id, 'missed in a dm') === 1, 'the missed DM', 50_000);
    await waitFor(
      () => answers(t, t.ops.id, 'missed in a channel') === 1,
      'the missed mention',
      50_000,
    );
    const get = (route: string): boolean =>
      route.startsWith('GET /api/v4/') && route !== 'GET /api/v4/websocket';
    const limitedGets = t.fake.rest.log.filter((r) => r.status === 429 && get(r.route));
    expect(limitedGets.length).toBeGreaterThan(0);
    for (const { waited, told } of waitsAfter429(t, get)) {
      expect(waited).toBeGreaterThanOrEqual(told - slackMs);
    }
    t.fake.rest.limiter = undefined;
    await t.adapter.settled();
    expect(answers(t, dm.id, 'missed in a dm')).toBe(1);
    expect(answers(t, t.ops.id, 'missed in a channel')).toBe(1);
  }, 90_000);
});
