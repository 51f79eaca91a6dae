/**
 * A Silence button on an alert post creates a real silence in Debian's Alertmanager, made by
 * the clicking person, which really suppresses the alert; `unsilence` expires it again.
 * Acknowledge records the clicking person on the root post.
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

requireAlertmanager();

/**
 * "Acknowledged by @anna": the name as the people directory gives it, its @ followed by a
 * zero-width space (JSON-escaped in props) so that the post mentions nobody.
 */
function acknowledgedBy(username: string): RegExp {
  return new RegExp(`Acknowledged by @(?:\u200b|\\\\u200b)?${username}\\b`);
}

describe('silence buttons against a real Alertmanager', () => {
  it('silences the alert group as the clicking person, and unsilence expires it', async () => {
    bot = await startAlertBot();
    am = await startAlertmanager(bot.receiverUrl);
    bot.wire({ alertmanagerUrl: am.url });
    bot.hub.useAlertmanager(new AlertmanagerClient(am.url));
    const { fake, ops, admin } = bot.harness;

    await am.post([
      {
        labels: { alertname: 'QueueStuck', instance: 'mq-1', severity: 'warning' },
        annotations: { summary: 'queue "jobs" is stuck' },
      },
    ]);
    await waitFor(() => fake.data.botPosts(ops.id).length >= 1, 'the root post', 20_000);
    const root = fake.data.botPosts(ops.id)[0];
    const names = actionNames(root);
    expect(names).toEqual(['Acknowledge', 'Silence 1 h', 'Silence 4 h', 'Silence 1 d']);
    if (root === undefined) throw new Error('no root');

    const click = await fake.click(admin, root, 1);
    expect(click.status).toBe(200);
    const active = async (): Promise<number> =>
      ((await am?.silences()) ?? []).filter((s) => s.status.state === 'active').length;
    for (let i = 0; i < 100 && (await active()) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const silences = (await am.silences()).filter((s) => s.status.state === 'active');
    expect(silences).toHaveLength(1);
    const silence = silences[0] as unknown as { id: string; createdBy: string };
    expect(silence.createdBy).toContain(`mattermost:${admin.id}`);
    const alerts = await am.alerts();
    expect(alerts.find((a) => a.labels['alertname'] === 'QueueStuck')?.status.state).toBe(
      'suppressed',
    );
    // The answer in the thread offers to expire it.
    await waitFor(
      () =>
        fake.data.botPosts(ops.id).some((p) => p.root_id === root.id && actionNames(p).length > 0),
      'the silence answer',
    );

    // The root shows the silence (the button passed its thread).
    await waitFor(
      () => JSON.stringify(fake.data.post(root.id)?.props).includes('Silenced until'),
      'the silenced root',
    );
    // Acknowledge: the root says who, and loses the button.
    expect((await fake.click(admin, root, 0)).status).toBe(200);
    await waitFor(
      () => acknowledgedBy(admin.username).test(JSON.stringify(fake.data.post(root.id)?.props)),
      'the acknowledged root',
    );
    expect(actionNames(fake.data.post(root.id))).not.toContain('Acknowledge');

    const outcome = await bot.harness.bot.invoke(
      {
        actorId: `mattermost:${admin.id}`,
        displayName: admin.username,
        room: { id: `mattermost:${ops.id}` },
        source: 'mattermost',
        text: `unsilence ${silence.id}`,
      },
      { reply: () => undefined, progress: () => undefined, confirm: { kind: 'refuse' } },
    );
    expect(outcome.status).toBe('ok');
    expect((await am.silences()).find((s) => s.id === silence.id)?.status.state).toBe('expired');
  }, 90_000);

  it('shows a silence typed as a command on the alert post it covers', async () => {
    bot = await startAlertBot();
    am = await startAlertmanager(bot.receiverUrl);
    bot.wire({ alertmanagerUrl: am.url });
    bot.hub.useAlertmanager(new AlertmanagerClient(am.url));
    const { fake, ops, admin } = bot.harness;
    await am.post([{ labels: { alertname: 'DiskFull', instance: 'db-1', severity: 'warning' } }]);
    await waitFor(() => fake.data.botPosts(ops.id).length >= 1, 'the root post', 20_000);
    const root = fake.data.botPosts(ops.id)[0];
    if (root === undefined) throw new Error('no root');

    const outcome = await bot.harness.bot.invoke(
      {
        actorId: `mattermost:${admin.id}`,
        displayName: admin.username,
        room: { id: `mattermost:${ops.id}` },
        source: 'mattermost',
        text: 'silence alertname=DiskFull instance=~"db-.*" 2h disk swap planned',
      },
      { reply: () => undefined, progress: () => undefined, confirm: { kind: 'refuse' } },
    );
    expect(outcome.status).toBe('ok');
    expect(outcome.message.fields?.find((f) => f.label === 'Shown on alert posts')?.value).toBe(
      '1',
    );
    const alerts = await am.alerts();
    expect(alerts.find((a) => a.labels['alertname'] === 'DiskFull')?.status.state).toBe(
      'suppressed',
    );
    await waitFor(
      () => JSON.stringify(fake.data.post(root.id)?.props).includes('Silenced until'),
      'the silenced root',
    );
  }, 90_000);
});
