/**
 * Buttons of an alert post that is edited under them, against a real Alertmanager. Mattermost
 * sends a click as the post id and the button's id, and runs whatever button has that id on
 * the post NOW (fake: FakeMattermost.click). So a button that is gone must not leave its id to
 * another one: pressing "Acknowledge" in a view loaded before someone acknowledged must never
 * silence the alert; and a click that still reaches the bot for a button it has taken away
 * (its edit not yet delivered) runs nothing and says so.
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
} from './alerts-helpers.ts';

let bot: AlertBot | undefined;
let am: Alertmanager | undefined;

afterEach(async () => {
  await am?.stop();
  await bot?.close();
  am = undefined;
  bot = undefined;
});

function actionNames(post: FakePost | undefined): string[] {
  const attachments = post?.props['attachments'] as { actions?: { name: string }[] }[] | undefined;
  return (attachments?.[0]?.actions ?? []).map((a) => a.name);
}

/** An alert bot with a real Alertmanager, and the root post of one firing group. */
async function firingRoot(): Promise<{ bot: AlertBot; am: Alertmanager; root: FakePost }> {
  const b = await startAlertBot();
  bot = b;
  const m = await startAlertmanager(b.receiverUrl);
  am = m;
  b.wire({ alertmanagerUrl: m.url });
  b.hub.useAlertmanager(new AlertmanagerClient(m.url));
  const { fake, ops } = b.harness;
  await m.post([
    {
      labels: { alertname: 'QueueStuck', instance: 'mq-1', severity: 'warning' },
      annotations: { summary: 'queue "jobs" is stuck' },
    },
  ]);
  await waitFor(() => fake.data.botPosts(ops.id).length >= 1, 'the root post', 20_000);
  const root = fake.data.botPosts(ops.id)[0];
  if (root === undefined) throw new Error('no root');
  expect(actionNames(root)).toEqual(['Acknowledge', 'Silence 1 h', 'Silence 4 h', 'Silence 1 d']);
  return { bot: b, am: m, root };
}

function audited(b: AlertBot, word: string): number {
  return b.harness.audit.last(50).filter((r) => JSON.stringify(r).includes(word)).length;
}

requireAlertmanager();

describe('alert buttons after an edit', () => {
  it('never lets a stale Acknowledge run what now holds its place', async () => {
    const { bot: b, am: m, root } = await firingRoot();
    const { fake, admin } = b.harness;
    // The post as a second browser tab loaded it, before anyone acknowledged.
    const loadedEarlier = fake.view(root);

    expect((await fake.click(admin, root, 0)).status).toBe(200);
    await waitFor(
      () => JSON.stringify(fake.data.post(root.id)?.props).includes('Acknowledged by'),
      'the acknowledged root',
    );
    expect(actionNames(fake.data.post(root.id))).toEqual([
      'Silence 1 h',
      'Silence 4 h',
      'Silence 1 d',
    ]);

    // "Acknowledge" pressed in the earlier view.
    const stale = await fake.click(admin, loadedEarlier, 0);
    expect(stale.status).toBe(404);
    expect(stale.body['id']).toBe('api.post.do_action.action_id.app_error');
    // Refused by the server: the bot was never asked to run anything.
    expect(stale.integrationStatus).toBeUndefined();
    expect(fake.refusedClicks).toEqual([
      { user: admin.id, postId: root.id, actionId: expect.stringMatching(/^alertsack/) as string },
    ]);
    expect(await m.silences()).toEqual([]);
    expect(audited(b, 'silence')).toBe(0);
    // The Silence buttons still on the post are the same buttons, and still work.
    expect((await fake.click(admin, loadedEarlier, 1)).status).toBe(200);
    for (let i = 0; i < 100 && (await m.silences()).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await m.silences()).map((s) => s.status.state)).toEqual(['active']);
  }, 90_000);

  it('refuses, and says so, a click for a button the bot took away before the edit arrived', async () => {
    const { bot: b, am: m, root } = await firingRoot();
    const { fake, admin } = b.harness;
    // Mattermost limits the bot from here on: the edit that removes Acknowledge stays queued
    // (every request gets 429), so the server still shows the button.
    fake.rest.limiter = { perSecond: 0.05, burst: 0 };
    expect((await fake.click(admin, root, 0)).status).toBe(200);
    await waitFor(
      () => fake.rest.log.some((r) => r.status === 429 && r.route.endsWith('/patch')),
      'the held edit',
    );
    expect(actionNames(fake.data.post(root.id))).toContain('Acknowledge');
    await waitFor(() => audited(b, 'alerts ack') === 1, 'the acknowledgement in the audit log');

    const again = await fake.click(admin, root, 0);
    expect(again.status).toBe(200);
    expect(again.integrationStatus).toBe(200);
    expect(again.body['update']).toBeUndefined();
    expect(fake.seen.at(-1)).toEqual({
      user: admin.id,
      text: expect.stringContaining('no longer on the message') as string,
    });
    // Nothing ran: no second acknowledgement, no silence.
    expect(audited(b, 'alerts ack')).toBe(1);
    expect(await m.silences()).toEqual([]);
  }, 90_000);
});
