/**
 * Alerts in a Matrix room, end to end against the fake homeserver: the first notification of
 * a group posts a root with a reaction menu, later ones reply in its thread (`m.thread`) and
 * edit the root; 👀 acknowledges as the person who reacted, and the root says who.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertCounters } from '../../../src/alerts/counters.ts';
import { AlertDelivery } from '../../../src/alerts/delivery.ts';
import { deliveryHooks } from '../../../src/alerts/wire.ts';
import { MatrixAlertWriter } from '../../../src/alerts/matrix-writer.ts';
import { notificationDigest, type WebhookPayload } from '../../../src/alerts/payload.ts';
import { AlertsHub } from '../../../src/alerts/port.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { SqliteAlertInbox, SqliteAlertThreads } from '../../../src/store/alerts-repo.ts';
import { SqliteOutboxStore } from '../../../src/store/outbox-repo.ts';
import { payloadOf } from '../../alerts/fixtures.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;
let hub: AlertsHub;
let delivery: AlertDelivery;

const body = (content: Record<string, unknown>): string => String(content['body']);

beforeEach(async () => {
  hub = new AlertsHub(undefined);
  h = await startHarness({ alerts: hub });
  await h.ready();
  const outbox = new SqliteOutboxStore(h.db);
  delivery = new AlertDelivery({
    config: {
      routes: [
        {
          match: {},
          matchRe: {},
          rooms: [`matrix:${h.ops.roomId}`],
          mentions: [h.operator.userId, '@mattermost-name'],
          channelOnCritical: true,
          continue: false,
          sendResolved: true,
        },
      ],
      runbooks: [],
      stormThreshold: 20,
    },
    db: h.db,
    inbox: new SqliteAlertInbox(h.db),
    threads: new SqliteAlertThreads(h.db),
    outbox,
    kick: () => h.adapter.dispatcher.kick(),
    locale: () => 'en',
    binding: () => undefined,
    matrix: new MatrixAlertWriter(outbox),
    counters: new AlertCounters(),
    log: createLogger({ level: 'error', write: () => undefined }),
  });
  hub.connectDelivery(deliveryHooks(delivery));
});

afterEach(async () => {
  await h.close();
});

function receive(payload: WebhookPayload): void {
  new SqliteAlertInbox(h.db).add({
    digest: notificationDigest(payload),
    groupKey: payload.groupKey,
    payload: JSON.stringify(payload),
  });
  delivery.deliverPending();
}

describe('alerts in matrix rooms', () => {
  it('posts a root, replies in its thread, edits the root, and acknowledges by reaction', async () => {
    const labels = { alertname: 'MoodleDown', severity: 'critical', service: 'moodle' };
    receive(
      payloadOf('{}:{alertname="MoodleDown"}', [
        { labels, annotations: { summary: '<b>down</b>' } },
      ]),
    );
    const root = await h.botSays(h.ops, /MoodleDown/);
    // Mentions only from the config: the Matrix user and the room, nobody from the alert.
    expect(root.content['m.mentions']).toEqual({ user_ids: [h.operator.userId], room: true });
    expect(String(root.content['formatted_body'])).toContain('&lt;b&gt;down&lt;/b&gt;');
    await waitFor(
      () => h.hs.relations(h.ops, root, 'm.annotation').some((r) => r.sender === h.botUser.userId),
      'the reaction menu',
    );

    receive(payloadOf('{}:{alertname="MoodleDown"}', [{ labels, status: 'resolved' }], 'resolved'));
    await waitFor(() => h.hs.relations(h.ops, root, 'm.thread').length === 1, 'the thread reply');
    const reply = h.hs.relations(h.ops, root, 'm.thread')[0];
    expect(body(reply?.content ?? {})).toMatch(/resolved|RESOLVED|Resolved/);
    await waitFor(() => h.hs.edits(h.ops, root).length >= 1, 'the root edit');
    // An edit notifies nobody again.
    expect(h.hs.edits(h.ops, root)[0]?.content['m.mentions']).toEqual({});
  });

  it('acknowledges with 👀 as the person who reacted', async () => {
    const labels = { alertname: 'DiskFull', severity: 'warning' };
    receive(payloadOf('{}:{alertname="DiskFull"}', [{ labels }]));
    const root = await h.botSays(h.ops, /DiskFull/);
    await waitFor(
      () =>
        h.hs
          .relations(h.ops, root, 'm.annotation')
          .some((r) => (r.content['m.relates_to'] as { key: string }).key === '👀'),
      'the acknowledge reaction',
    );
    h.hs.react(h.admin, h.ops, root, '👀');
    await waitFor(
      // By her display name (her profile's), not her user id.
      () => /Acknowledged by anna\b/.test(body(h.hs.currentContent(h.ops, root))),
      'the root to say who acknowledged',
    );
  });
});
