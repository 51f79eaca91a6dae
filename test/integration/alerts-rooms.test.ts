/**
 * One alert group posted in a Mattermost channel and in a Matrix room has one state: it is
 * acknowledged or silenced once, and every root of the group shows it. Acknowledge clicked in
 * Mattermost edits the Matrix root too (it says who, and offers 👀 no more); a silence made by
 * a reaction in Matrix, real in Debian's Alertmanager, shows on the Mattermost root. One
 * state file for both front ends, as in `pes serve`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../src/alerts/alertmanager-client.ts';
import {
  startHarness as startMatrix,
  type Harness as MatrixHarness,
} from '../chat/matrix/harness.ts';
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
let mx: MatrixHarness | undefined;

afterEach(async () => {
  await am?.stop();
  await mx?.close();
  await bot?.close();
  am = undefined;
  mx = undefined;
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

describe('an alert group in a Mattermost channel and a Matrix room', () => {
  it('is acknowledged and silenced once, and both roots show it', async () => {
    bot = await startAlertBot();
    const b = bot;
    am = await startAlertmanager(b.receiverUrl);
    mx = await startMatrix({ statePath: b.harness.dbPath, alerts: b.hub });
    const m = mx;
    await m.ready();
    const { fake, ops, admin } = b.harness;
    b.wire({
      alertmanagerUrl: am.url,
      rooms: [`mattermost:${ops.id}`, `matrix:${m.ops.roomId}`],
      matrix: m.adapter,
    });
    b.hub.useAlertmanager(new AlertmanagerClient(am.url));

    await am.post([
      {
        labels: { alertname: 'QueueStuck', instance: 'mq-1', severity: 'warning' },
        annotations: { summary: 'queue "jobs" is stuck' },
      },
    ]);
    await waitFor(() => fake.data.botPosts(ops.id).length >= 1, 'the Mattermost root', 20_000);
    const mmRoot = fake.data.botPosts(ops.id)[0];
    if (mmRoot === undefined) throw new Error('no root');
    const mxRoot = await m.botSays(m.ops, /QueueStuck/, 20_000);
    const mxNow = (): string => String(m.hs.currentContent(m.ops, mxRoot)['body']);
    expect(mxNow()).toContain('alerts ack');

    // Acknowledge in Mattermost: the Matrix root says who, and no longer offers it.
    expect(actionNames(mmRoot)[0]).toBe('Acknowledge');
    expect((await fake.click(admin, mmRoot, 0)).status).toBe(200);
    await waitFor(
      () => acknowledgedBy(admin.username).test(mxNow()),
      'the Matrix root to say who acknowledged',
    );
    expect(mxNow()).not.toContain('alerts ack');
    expect(mxNow()).not.toContain('👀');

    // Silence 1 h by reaction in Matrix (1️⃣, the first silence): a real silence, shown on
    // the Mattermost root.
    m.hs.react(m.admin, m.ops, mxRoot, '1️⃣');
    await waitFor(
      () => JSON.stringify(fake.data.post(mmRoot.id)?.props).includes('Silenced until'),
      'the Mattermost root to show the silence',
    );
    const active = (await am.silences()).filter((s) => s.status.state === 'active');
    expect(active).toHaveLength(1);
    expect((active[0] as unknown as { createdBy: string }).createdBy).toContain(
      `matrix:${m.admin.userId}`,
    );
    // Both roots show both: who acknowledged and the silence.
    const mmText = JSON.stringify(fake.data.post(mmRoot.id)?.props);
    expect(mmText).toMatch(acknowledgedBy(admin.username));
    expect(actionNames(fake.data.post(mmRoot.id))).not.toContain('Acknowledge');
    await waitFor(() => mxNow().includes('Silenced until'), 'the Matrix root to show the silence');
  }, 90_000);
});
