/**
 * The storm digest end to end: a real Alertmanager sends the groups to the bot's receiver,
 * the digest goes out through the Mattermost outbox to the fake server, its buttons are
 * clicked there, and the groups resolve in Alertmanager.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../src/alerts/alertmanager-client.ts';
import { waitFor } from '../fakes/mattermost/harness.ts';
import type { FakePost } from '../fakes/mattermost/index.ts';
import {
  requireAlertmanager,
  startAlertBot,
  startAlertmanager,
  type AlertBot,
  type Alertmanager,
} from '../integration/alerts-helpers.ts';

let bot: AlertBot | undefined;
let am: Alertmanager | undefined;

afterEach(async () => {
  await am?.stop();
  await bot?.close();
  am = undefined;
  bot = undefined;
});

interface Attachment {
  readonly title?: string;
  readonly text?: string;
  readonly actions?: readonly { readonly id: string; readonly name: string }[];
}

function attachments(post: FakePost | undefined): Attachment[] {
  return (post?.props['attachments'] ?? []) as Attachment[];
}

/** The attachment of the digest that stands for the group of this alertname. */
function groupBlock(post: FakePost | undefined, name: string): Attachment | undefined {
  return attachments(post).find((a) => a.title?.includes(` ${name} (`) === true);
}

const storm = [
  { name: 'QueueSlow', severity: 'warning' },
  { name: 'PgDown', severity: 'critical' },
  { name: 'CertSoon', severity: 'info' },
  { name: 'DiskGone', severity: 'critical' },
] as const;

function alertOf(name: string, severity: string, resolved = false): Record<string, unknown> {
  return {
    labels: { alertname: name, severity, instance: 'node-1' },
    annotations: { summary: `${name} on node-1` },
    ...(resolved ? { endsAt: new Date(Date.now() - 1000).toISOString() } : {}),
  };
}

/** Polls an asynchronous check (Alertmanager's API) until it holds. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

requireAlertmanager();

describe('storm digest', () => {
  it('lists critical first with buttons that act on their group, and follows resolutions', async () => {
    const b = await startAlertBot();
    bot = b;
    const m = await startAlertmanager(b.receiverUrl);
    am = m;
    b.wire({ alertmanagerUrl: m.url, stormThreshold: 1 });
    b.hub.useAlertmanager(new AlertmanagerClient(m.url));
    const { fake, ops, admin, operator } = b.harness;

    // One group gets its own root; the four after it within the minute are a storm.
    await m.post([alertOf('Warmup', 'warning')]);
    await waitFor(() => fake.data.botPosts(ops.id).length >= 1, 'the first root', 20_000);
    await m.post(storm.map((s) => alertOf(s.name, s.severity)));
    const digestPost = (): FakePost | undefined =>
      fake.data
        .botPosts(ops.id)
        .find((p) => attachments(p)[0]?.title?.startsWith('Alert storm') === true);
    await waitFor(
      () => attachments(digestPost()).length === 5,
      'the digest with its four groups',
      20_000,
    );
    const digest = digestPost();
    if (digest === undefined) throw new Error('no digest');
    expect(attachments(digest)[0]?.text).toContain('4 of 4 groups still firing');
    // Critical first (in the order they joined), then warning, then the rest.
    const order = attachments(digest)
      .slice(1)
      .map((a) => /^\S+ (\w+) \(/.exec(a.title ?? '')?.[1]);
    expect(order.slice(0, 2).sort()).toEqual(['DiskGone', 'PgDown']);
    expect(order.slice(2)).toEqual(['QueueSlow', 'CertSoon']);
    expect(groupBlock(digest, 'PgDown')?.actions?.map((a) => a.name)).toEqual([
      'Acknowledge',
      'Silence 1 h',
      'Silence 4 h',
      'Silence 1 d',
    ]);

    // Someone without the `alerts` permission is refused, and nothing changes.
    const ackPg = groupBlock(digest, 'PgDown')?.actions?.[0]?.id ?? '';
    expect((await fake.click(operator, digest, ackPg)).status).toBe(200);
    expect(fake.seen.at(-1)).toEqual({
      user: operator.id,
      text: expect.stringContaining('may not run alerts') as string,
    });
    expect(JSON.stringify(fake.data.post(digest.id)?.props)).not.toContain('Acknowledged by');

    // Acknowledge on PgDown's block acknowledges PgDown, and only PgDown.
    expect((await fake.click(admin, digest, ackPg)).status).toBe(200);
    await waitFor(
      () =>
        groupBlock(fake.data.post(digest.id), 'PgDown')?.text?.includes('Acknowledged by') === true,
      'PgDown acknowledged on the digest',
      20_000,
    );
    const afterAck = fake.data.post(digest.id);
    expect(groupBlock(afterAck, 'PgDown')?.actions?.map((a) => a.name)).not.toContain(
      'Acknowledge',
    );
    expect(groupBlock(afterAck, 'DiskGone')?.text ?? '').not.toContain('Acknowledged by');
    expect(groupBlock(afterAck, 'DiskGone')?.actions?.[0]?.name).toBe('Acknowledge');

    // Silence 1 h on QueueSlow's block silences QueueSlow in Alertmanager.
    const silenceQueue = groupBlock(afterAck, 'QueueSlow')?.actions?.[1];
    expect(silenceQueue?.name).toBe('Silence 1 h');
    expect((await fake.click(admin, afterAck ?? digest, silenceQueue?.id ?? '')).status).toBe(200);
    await until(async () => (await m.silences()).length === 1, 'the silence');
    const [silence] = (await m.silences()) as unknown as {
      id: string;
      matchers: { name: string; value: string }[];
    }[];
    expect(silence?.matchers).toContainEqual(
      expect.objectContaining({ name: 'alertname', value: 'QueueSlow' }),
    );
    // Lifted again, so that Alertmanager sends QueueSlow's resolution below.
    await fetch(`${m.url}/api/v2/silence/${silence?.id ?? ''}`, { method: 'DELETE' });

    // Two groups resolve: the digest counts them, and lists them after the firing ones.
    await m.post([alertOf('PgDown', 'critical', true), alertOf('CertSoon', 'info', true)]);
    await waitFor(
      () =>
        (attachments(fake.data.post(digest.id))[0]?.text ?? '').includes(
          '2 of 4 groups still firing',
        ),
      'the digest with two groups resolved',
      30_000,
    );
    const partly = fake.data.post(digest.id);
    expect(groupBlock(partly, 'PgDown')).toBeUndefined();
    // Resolved groups come last, in the order they joined: Alertmanager flushes each group
    // on its own, so which of the two joined first is not fixed.
    const resolvedBlock = attachments(partly).at(-1)?.text ?? '';
    expect(resolvedBlock).toMatch(/PgDown\*\* — resolved/);
    expect(resolvedBlock).toMatch(/CertSoon\*\* — resolved/);

    // All resolved: the digest says the storm is over.
    await m.post(storm.map((s) => alertOf(s.name, s.severity, true)));
    await waitFor(
      () =>
        attachments(fake.data.post(digest.id))[0]?.title ===
        'Alert storm over: all 4 groups resolved',
      'the digest saying all resolved',
      30_000,
    );
    expect(attachments(fake.data.post(digest.id)).flatMap((a) => a.actions ?? [])).toEqual([]);
  }, 120_000);
});
