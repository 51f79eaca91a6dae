/** Delivery into the outbox: root, thread reply and root edit; storms; no duplicates. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertCounters } from '../../src/alerts/counters.ts';
import { AlertDelivery } from '../../src/alerts/delivery.ts';
import { notificationDigest, type WebhookPayload } from '../../src/alerts/payload.ts';
import { MatrixAlertWriter } from '../../src/alerts/matrix-writer.ts';
import type { OutboxPayload } from '../../src/chat/mattermost/types.ts';
import type { MatrixOutboxPayload } from '../../src/chat/matrix/types.ts';
import { createLogger } from '../../src/core/logger.ts';
import { SqliteAlertInbox, SqliteAlertThreads } from '../../src/store/alerts-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { fixture, payloadOf } from './fixtures.ts';

const ops = 'o'.repeat(26);
const db2 = 'b'.repeat(26);

let dir: string;
let db: DatabaseSync;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-alerts-'));
  db = openDatabase(join(dir, 'pes.db'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function delivery(
  stormThreshold = 20,
  now?: () => Date,
): { d: AlertDelivery; counters: AlertCounters } {
  const counters = new AlertCounters();
  const d = new AlertDelivery({
    config: {
      defaultRoom: `mattermost:${ops}`,
      routes: [
        {
          match: { team: 'db' },
          matchRe: {},
          rooms: [`mattermost:${db2}`],
          mentions: ['@dba'],
          channelOnCritical: true,
          continue: false,
          sendResolved: false,
        },
        {
          match: { team: 'night' },
          matchRe: {},
          rooms: [`mattermost:${ops}`],
          mentions: [],
          channelOnCritical: false,
          continue: false,
          sendResolved: true,
          quietHours: { start: 22, end: 7, timeZone: 'Europe/Moscow' },
        },
      ],
      runbooks: [
        {
          match: { alertname: 'BackupFailed' },
          matchRe: {},
          label: 'Retry',
          command: 'backup restic',
        },
      ],
      stormThreshold,
    },
    db,
    inbox: new SqliteAlertInbox(db),
    threads: new SqliteAlertThreads(db),
    outbox: new SqliteOutboxStore(db),
    kick: () => undefined,
    locale: () => 'en',
    binding: (channel) => ({
      url: 'http://bot/mattermost/actions',
      secret: 's',
      channel,
      root: '',
    }),
    counters,
    log: createLogger({ level: 'error', write: () => undefined }),
    ...(now === undefined ? {} : { now }),
  });
  return { d, counters };
}

function store(payload: WebhookPayload): void {
  new SqliteAlertInbox(db).add({
    digest: notificationDigest(payload),
    groupKey: payload.groupKey,
    payload: JSON.stringify(payload),
  });
}

interface Row {
  readonly idempotency_key: string;
  readonly kind: string;
  readonly target_key: string | null;
  readonly payload: string;
}

function outbox(): { key: string; kind: string; target: string | null; body: OutboxPayload }[] {
  const rows = db.prepare('SELECT * FROM outbox ORDER BY id').all() as unknown as Row[];
  return rows.map((r) => ({
    key: r.idempotency_key,
    kind: r.kind,
    target: r.target_key,
    body: JSON.parse(r.payload) as OutboxPayload,
  }));
}

describe('alert delivery', () => {
  it('posts a root, then replies in its thread and edits the root', () => {
    const { d, counters } = delivery();
    store(fixture('firing'));
    expect(d.deliverPending()).toBe(1);
    const [root] = outbox();
    expect(root?.kind).toBe('post');
    expect(root?.body.root_key).toBeUndefined();
    const attachment = (root?.body.props['attachments'] as { actions?: { name: string }[] }[])[0];
    expect(attachment?.actions?.map((a) => a.name)).toEqual(['Acknowledge', 'Retry']);

    store(fixture('resolved'));
    expect(d.deliverPending()).toBe(1);
    const [, reply, edit] = outbox();
    expect(reply?.kind).toBe('post');
    expect(reply?.body.root_key).toBe(root?.key);
    expect(edit?.kind).toBe('patch');
    expect(edit?.target).toBe(root?.key);
    expect(JSON.stringify(edit?.body)).toContain('Resolved');
    expect(counters.snapshot().posted).toBe(3);
    // Nothing left: a second pass (or a restarted bot) writes nothing more.
    expect(delivery().d.deliverPending()).toBe(0);
    expect(outbox()).toHaveLength(3);
  });

  it('routes by labels, mentions on critical, and skips resolved replies when asked', () => {
    const { d } = delivery();
    const labels = { alertname: 'PgDown', team: 'db', severity: 'critical' };
    store(payloadOf('g-db', [{ labels }]));
    d.deliverPending();
    store(payloadOf('g-db', [{ labels, status: 'resolved' }], 'resolved'));
    d.deliverPending();
    const items = outbox();
    expect(items.map((i) => i.kind)).toEqual(['post', 'patch']);
    expect(items[0]?.body.channel_id).toBe(db2);
    expect(items[0]?.body.message).toBe('@channel @dba');
    expect(items[1]?.body.message).toBe('');
  });

  it('lists the groups of a storm in one digest post, and threads their updates there', () => {
    const { d } = delivery(2);
    for (let i = 0; i < 6; i++) {
      store(payloadOf(`g${i}`, [{ labels: { alertname: `A${i}`, severity: 'warning' } }]));
    }
    d.deliverPending();
    const items = outbox();
    expect(items).toHaveLength(3);
    const digest = items[2];
    expect(digest?.key).toMatch(/^alert-digest:/);
    expect(JSON.stringify(digest?.body)).toContain('4 new groups');
    store(payloadOf('g5', [{ labels: { alertname: 'A5' }, status: 'resolved' }], 'resolved'));
    d.deliverPending();
    const after = outbox();
    expect(after).toHaveLength(5);
    expect(after[3]?.body.root_key).toBe(digest?.key);
    // The resolution also edits the digest: one group fewer still fires.
    expect(after[4]?.kind).toBe('patch');
    expect(after[4]?.target).toBe(digest?.key);
    expect(JSON.stringify(after[4]?.body)).toContain('3 of 4 groups still firing');
    // Two more new groups a pass later join the same digest: its post is edited, not repeated.
    store(payloadOf('g6', [{ labels: { alertname: 'A6' } }]));
    store(payloadOf('g7', [{ labels: { alertname: 'A7' } }]));
    d.deliverPending();
    const last = outbox().at(-1);
    expect(
      outbox().filter((i) => i.key.startsWith('alert-digest:') && i.kind === 'post'),
    ).toHaveLength(1);
    expect(last?.kind).toBe('patch');
    expect(last?.target).toBe(digest?.key);
    expect(JSON.stringify(last?.body)).toContain('6 new groups');
  });

  it('coalesces a burst of digest edits: each waits for the last one sent, the newest wins', () => {
    const { d } = delivery(1);
    const outboxStore = new SqliteOutboxStore(db);
    for (let i = 0; i < 5; i++) {
      store(payloadOf(`g${i}`, [{ labels: { alertname: `A${i}`, severity: 'warning' } }]));
    }
    d.deliverPending();
    const digestKey = outbox().find((i) => i.key.startsWith('alert-digest:'))?.key ?? '';
    const posted = outboxStore.byKey(digestKey);
    if (posted === undefined) throw new Error('no digest post');
    // The digest post went out; three groups then resolve, each in a pass of its own.
    outboxStore.markSending(posted.id);
    outboxStore.markSent(posted.id, 'p1');
    for (const i of [1, 2, 3]) {
      store(
        payloadOf(`g${i}`, [{ labels: { alertname: `A${i}` }, status: 'resolved' }], 'resolved'),
      );
      d.deliverPending();
    }
    const edits = outbox().filter((i) => i.kind === 'patch' && i.target === digestKey);
    expect(edits).toHaveLength(3);
    const rows = edits.map((e) => outboxStore.byKey(e.key));
    // All three wait until the spacing after the sent post has passed, so when they are due
    // the first two are replaced by the third (outbox-send.ts: hasLaterPatch).
    const due = rows.map((r) => r?.nextAttemptAt.getTime());
    expect(new Set(due).size).toBe(1);
    expect(due[0]).toBeGreaterThanOrEqual(posted.nextAttemptAt.getTime() + 5000);
    expect(rows.slice(0, 2).map((r) => r !== undefined && outboxStore.hasLaterPatch(r))).toEqual([
      true,
      true,
    ]);
    expect(JSON.stringify(edits[2]?.body)).toContain('1 of 4 groups still firing');
  });

  it("writes a Matrix room's digest with each group's commands to type, and edits it", () => {
    const room = 'matrix:!storm:example.org';
    const outboxStore = new SqliteOutboxStore(db);
    const d = new AlertDelivery({
      config: { defaultRoom: room, routes: [], runbooks: [], stormThreshold: 1 },
      db,
      inbox: new SqliteAlertInbox(db),
      threads: new SqliteAlertThreads(db),
      outbox: outboxStore,
      kick: () => undefined,
      locale: () => 'ru',
      binding: () => undefined,
      counters: new AlertCounters(),
      log: createLogger({ level: 'error', write: () => undefined }),
      matrix: new MatrixAlertWriter(outboxStore),
    });
    const severities = ['warning', 'warning', 'critical', 'warning'];
    severities.forEach((severity, i) => {
      store(payloadOf(`g${i}`, [{ labels: { alertname: `A${i}`, severity } }]));
    });
    d.deliverPending();
    const rows = () =>
      (db.prepare('SELECT * FROM outbox ORDER BY id').all() as unknown as Row[]).map((r) => ({
        key: r.idempotency_key,
        kind: r.kind,
        target: r.target_key,
        body: JSON.parse(r.payload) as MatrixOutboxPayload,
      }));
    const digest = rows().find((r) => r.key.startsWith('alert-digest:'));
    const body = String(digest?.body.content['body']);
    // No reaction menu: a reaction could not say which group it is for.
    expect(digest?.body.actions).toBeUndefined();
    expect(body).toContain('3 из 3 групп ещё активны');
    // The critical group first, with its commands.
    expect(body.indexOf('A2')).toBeLessThan(body.indexOf('A1'));
    expect(body).toMatch(/🔴 A2 \(1\)\nБеру: `!pes alerts ack \d+`/);
    store(payloadOf('g2', [{ labels: { alertname: 'A2' }, status: 'resolved' }], 'resolved'));
    d.deliverPending();
    const edit = rows().at(-1);
    expect(edit?.kind).toBe('patch');
    expect(edit?.target).toBe(digest?.key);
    expect(String(edit?.body.content['body'])).toContain('2 из 3 групп ещё активны');
    expect(String(edit?.body.content['body'])).toContain('✅ A2 — решено');
  });

  it('acknowledges: records who, and edits the root to say so without the button', () => {
    const { d } = delivery();
    store(fixture('firing'));
    d.deliverPending();
    const threadId = new SqliteAlertThreads(db).get(
      `mattermost:${ops}`,
      fixture('firing').groupKey,
    )?.id;
    expect(threadId).toBeGreaterThan(0);
    expect(d.acknowledge(threadId ?? 0, 'anna')?.ackedBy).toBe('anna');
    const edit = outbox().at(-1);
    expect(edit?.kind).toBe('patch');
    expect(JSON.stringify(edit?.body)).toContain('Acknowledged by anna');
    expect(JSON.stringify(edit?.body)).not.toContain('"Acknowledge"');
    expect(d.acknowledge(9999, 'anna')).toBeUndefined();
    // Later updates keep showing who acknowledged.
    store(fixture('resolved'));
    d.deliverPending();
    expect(JSON.stringify(outbox().at(-1)?.body)).toContain('Acknowledged by anna');
  });

  it('acknowledges in one room even when another room of the group can no longer be written', () => {
    const { d } = delivery();
    store(fixture('firing'));
    d.deliverPending();
    const threads = new SqliteAlertThreads(db);
    const groupKey = fixture('firing').groupKey;
    // The group was also posted in a Matrix room, and Matrix is configured no more.
    threads.add({ room: 'matrix:!gone:s', groupKey, rootKey: 'old-root', inDigest: false });
    const id = threads.get(`mattermost:${ops}`, groupKey)?.id ?? 0;
    expect(d.acknowledge(id, 'anna')?.ackedBy).toBe('anna');
    expect(threads.get('matrix:!gone:s', groupKey)?.ackedBy).toBe('anna');
    expect(
      outbox()
        .filter((r) => r.kind === 'patch')
        .map((r) => r.target),
    ).toEqual([threads.get(`mattermost:${ops}`, groupKey)?.rootKey]);
  });

  it('shows a silence made from the post on its root while it lasts', () => {
    const { d } = delivery();
    store(fixture('firing'));
    d.deliverPending();
    const threadId =
      new SqliteAlertThreads(db).get(`mattermost:${ops}`, fixture('firing').groupKey)?.id ?? 0;
    expect(
      d.silenced(threadId, new Date(Date.now() + 3_600_000), 'oleg (mattermost:x)'),
    ).toBeDefined();
    const edit = JSON.stringify(outbox().at(-1)?.body);
    expect(edit).toContain('Silenced until');
    expect(edit).toContain('oleg \\\\(mattermost\\\\:x\\\\)');
  });

  it('shows a typed silence on the firing groups it covers, and only on those', () => {
    const { d } = delivery();
    const disk = (host: string): WebhookPayload =>
      payloadOf(`{}:{alertname="DiskFull",instance="${host}"}`, [
        { labels: { alertname: 'DiskFull', instance: host, severity: 'warning' } },
      ]);
    store(disk('db-1'));
    store(disk('web-1'));
    store(
      payloadOf(
        '{}:{alertname="DiskFull",instance="db-2"}',
        [{ labels: { alertname: 'DiskFull', instance: 'db-2', severity: 'warning' } }],
        'resolved',
      ),
    );
    d.deliverPending();
    const before = outbox().length;
    const until = new Date(Date.now() + 3_600_000);
    const alertname = { name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true };
    const matchers = [
      alertname,
      { name: 'instance', value: 'db-.*', isRegex: true, isEqual: true },
    ];
    // db-1 is covered; web-1 is not; db-2 is covered but already resolved.
    expect(d.silencedMatching(matchers, until, 'oleg')).toBe(1);
    const edits = outbox().slice(before);
    expect(edits).toHaveLength(1);
    expect(JSON.stringify(edits[0]?.body)).toContain('Silenced until');
    const db1 = new SqliteAlertThreads(db).get(
      `mattermost:${ops}`,
      '{}:{alertname="DiskFull",instance="db-1"}',
    );
    expect(edits[0]?.target).toBe(db1?.rootKey);
    expect(d.silencedMatching([{ ...alertname, value: 'Other' }], until, 'oleg')).toBe(0);
  });

  it('shows a typed silence on a storm digest, on the group it covers only', () => {
    const { d } = delivery(1);
    for (let i = 0; i < 4; i++) {
      store(payloadOf(`g${i}`, [{ labels: { alertname: `A${i}`, severity: 'warning' } }]));
    }
    d.deliverPending();
    const digestKey = outbox().find((i) => i.key.startsWith('alert-digest:'))?.key;
    const until = new Date(Date.now() + 3_600_000);
    const matchers = [{ name: 'alertname', value: 'A2', isRegex: false, isEqual: true }];
    expect(d.silencedMatching(matchers, until, 'oleg')).toBe(1);
    const edit = outbox().at(-1);
    expect(edit?.kind).toBe('patch');
    expect(edit?.target).toBe(digestKey);
    const blocks = edit?.body.props['attachments'] as { title?: string; text?: string }[];
    expect(blocks.find((b) => b.title?.includes('A2'))?.text).toContain('Silenced until');
    expect(blocks.filter((b) => b.text?.includes('Silenced until') === true)).toHaveLength(1);
  });

  it('holds non-critical alerts over quiet hours, and posts the newest state after', () => {
    let clock = new Date('2026-11-26T20:30:00Z'); // 23:30 in Moscow
    const { d } = delivery(20, () => clock);
    const labels = { alertname: 'SlowDisk', team: 'night', severity: 'warning' };
    store(payloadOf('g-night', [{ labels }]));
    store(payloadOf('g-night', [{ labels }, { labels: { ...labels, instance: 'b' } }]));
    store(
      payloadOf('g-crit', [{ labels: { ...labels, alertname: 'Down', severity: 'critical' } }]),
    );
    d.deliverPending();
    // Only the critical one went out.
    expect(outbox()).toHaveLength(1);
    expect(JSON.stringify(outbox()[0]?.body)).toContain('Down');
    clock = new Date('2026-11-26T03:59:00Z'); // 06:59 in Moscow: still quiet
    expect(d.deliverPending()).toBe(0);
    clock = new Date('2026-11-27T04:01:00Z'); // 07:01: morning
    expect(d.deliverPending()).toBe(1);
    const items = outbox();
    expect(items).toHaveLength(2);
    expect(JSON.stringify(items[1]?.body)).toContain('Firing 2');
    expect(d.deliverPending()).toBe(0);
  });

  it('marks an unreadable notification failed without blocking the next', () => {
    const { d, counters } = delivery();
    new SqliteAlertInbox(db).add({ digest: 'x', groupKey: 'g', payload: '{not json' });
    store(fixture('firing'));
    expect(d.deliverPending()).toBe(2);
    expect(outbox()).toHaveLength(1);
    expect(counters.snapshot().failed).toBe(1);
  });
});
