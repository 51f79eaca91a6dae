/**
 * The whole alert path against Debian's real Alertmanager: alerts posted to it reach the
 * fake Mattermost as a root post, a thread reply and a resolved edit of the root; a restart
 * of the bot between receipt and delivery loses and duplicates nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
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

function title(post: FakePost | undefined): string {
  const attachments = post?.props['attachments'] as { title?: string }[] | undefined;
  return attachments?.[0]?.title ?? '';
}

function alert(name: string, instance: string, endsAt?: Date): Record<string, unknown> {
  return {
    labels: { alertname: name, instance, severity: 'critical', service: 'moodle' },
    annotations: { summary: `${name} on ${instance}`, runbook_url: 'http://wiki.example/rb' },
    generatorURL: 'http://prometheus.example/graph',
    ...(endsAt === undefined ? {} : { endsAt: endsAt.toISOString() }),
  };
}

requireAlertmanager();

describe('alerts from a real Alertmanager', () => {
  it('posts a root, replies in its thread and edits the root when resolved', async () => {
    bot = await startAlertBot();
    bot.wire();
    am = await startAlertmanager(bot.receiverUrl);
    const { fake, ops } = bot.harness;
    const posts = (): FakePost[] => fake.data.botPosts(ops.id);

    await am.post([alert('MoodleDown', 'web-1')]);
    await waitFor(() => posts().length >= 1, 'the root post', 20_000);
    const root = posts()[0];
    expect(root?.root_id).toBe('');
    expect(title(root)).toContain('Firing 1');
    expect(title(root)).toContain('MoodleDown');
    expect(JSON.stringify(root?.props)).toContain('restart moodle');

    await am.post([alert('MoodleDown', 'web-1'), alert('MoodleDown', 'web-2')]);
    await waitFor(() => posts().some((p) => p.root_id === root?.id), 'the thread reply', 20_000);
    await waitFor(() => title(fake.data.post(root?.id ?? '')).includes('Firing 2'), 'root edit');

    const now = new Date(Date.now() - 1000);
    await am.post([alert('MoodleDown', 'web-1', now), alert('MoodleDown', 'web-2', now)]);
    await waitFor(
      () => title(fake.data.post(root?.id ?? '')).includes('Resolved'),
      'the resolved edit',
      20_000,
    );
    const thread = posts().filter((p) => p.root_id === root?.id);
    expect(thread.length).toBe(2);
    // One root for the group: nothing was posted twice.
    expect(posts().filter((p) => p.root_id === '')).toHaveLength(1);
    const counts = bot.wiring()?.counters.snapshot();
    expect(counts?.received).toBe(3);
  }, 90_000);

  it('loses and duplicates nothing when the bot restarts between receipt and delivery', async () => {
    bot = await startAlertBot();
    // Receive only: nothing is delivered before the restart.
    bot.wire({ deliver: false });
    am = await startAlertmanager(bot.receiverUrl);
    await am.post([alert('DiskFull', 'db-1')]);
    const stored = (): number =>
      (bot?.harness.db.prepare('SELECT count(*) AS n FROM alert_batches').get() as { n: number }).n;
    await waitFor(() => stored() >= 1, 'the stored notification', 20_000);
    expect(bot.harness.fake.data.botPosts(bot.harness.ops.id)).toHaveLength(0);

    await bot.harness.restart();
    const wiring = bot.wire();
    const { fake, ops } = bot.harness;
    await waitFor(() => fake.data.botPosts(ops.id).length >= 1, 'the delivered root', 20_000);
    // Delivered once; another pass (or another restart) finds nothing left to deliver.
    expect(wiring.delivery?.deliverPending()).toBe(0);
    await bot.harness.restart();
    bot.wire();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(fake.data.botPosts(ops.id)).toHaveLength(1);
  }, 90_000);
});
