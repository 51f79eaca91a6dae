/** The receiver over HTTP: credentials, size, JSON, schema, dedup, storage failures. */
import { afterEach, describe, expect, it } from 'vitest';
import { authorized } from '../../src/alerts/auth.ts';
import { storedPayload } from '../../src/alerts/payload.ts';
import { SqliteAlertInbox } from '../../src/store/alerts-repo.ts';
import { rawFixture } from './fixtures.ts';
import { startReceiver, token, type Receiver } from './helpers.ts';

let receiver: Receiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function pending(r: Receiver): number {
  return (r.db.prepare('SELECT count(*) AS n FROM alert_batches').get() as { n: number }).n;
}

describe('alertmanager receiver', () => {
  it('stores a notification before answering 200, and a re-sent one only once', async () => {
    receiver = await startReceiver();
    const first = await receiver.send(rawFixture('firing'));
    expect(first).toMatchObject({ status: 200, body: { status: 'stored' } });
    expect(pending(receiver)).toBe(1);
    const again = await receiver.send(rawFixture('firing'));
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(pending(receiver)).toBe(1);
    expect(receiver.counters.snapshot()).toMatchObject({ received: 1, deduplicated: 1 });
  });

  it('stores the body as it came, read back through the schema', async () => {
    receiver = await startReceiver();
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    // A field a newer Alertmanager might add, and no `receiver` (the schema's default fills it).
    const body = JSON.stringify({ ...raw, receiver: undefined, orgId: 7 });
    expect((await receiver.send(body)).status).toBe(200);
    const row = receiver.db.prepare('SELECT payload FROM alert_batches').get() as {
      payload: string;
    };
    expect(row.payload).toBe(body);
    const read = storedPayload(row.payload);
    expect(read.receiver).toBe('');
    expect(read.groupKey).toBe(raw['groupKey']);
    expect('orgId' in read).toBe(false);
  });

  it('stores concurrent notifications in shared commits, each once', async () => {
    const r = await startReceiver();
    receiver = r;
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    const bodies = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ ...raw, groupKey: `g${i % 30}` }),
    );
    const answers = await Promise.all(bodies.map((b) => r.send(b)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(pending(r)).toBe(30);
    expect(r.counters.snapshot()).toMatchObject({ received: 30, deduplicated: 30 });
  });

  it('refuses wrong credentials with 401 and stores nothing', async () => {
    receiver = await startReceiver();
    for (const auth of ['Bearer wrong', `Basic ${token}`, '', `Bearer ${token}x`]) {
      expect((await receiver.send(rawFixture('firing'), auth)).status).toBe(401);
    }
    expect(pending(receiver)).toBe(0);
    expect(receiver.logs.join('\n')).not.toContain(token);
  });

  it('checks basic credentials in constant time too', () => {
    const basic = { kind: 'basic', username: 'am', password: 'pw' } as const;
    const header = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(authorized(header('am:pw'), basic)).toBe(true);
    expect(authorized(header('am:pX'), basic)).toBe(false);
    expect(authorized(undefined, basic)).toBe(false);
  });

  it('answers clear 4xx to an empty, huge, malformed or invalid body', async () => {
    receiver = await startReceiver({ maxBodyBytes: 1024 * 1024 });
    expect(await receiver.send('')).toMatchObject({ status: 400, body: { error: 'empty-body' } });
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    expect((await receiver.send(big)).status).toBe(413);
    expect(await receiver.send('{"version":')).toMatchObject({
      status: 400,
      body: { error: 'malformed-json' },
    });
    const invalid = await receiver.send(JSON.stringify({ version: '4', alerts: 'no' }));
    expect(invalid).toMatchObject({ status: 400, body: { error: 'invalid-payload' } });
    expect(pending(receiver)).toBe(0);
  });

  it('accepts a payload of 10,000 alerts with unicode and huge values', async () => {
    receiver = await startReceiver();
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'Ünïcødé 🔥', instance: `host-${i}`, note: '@all <b>' },
      annotations: i === 0 ? { description: 'x'.repeat(100_000) } : {},
      startsAt: '2026-11-26T09:00:00Z',
      fingerprint: `f${i}`,
    }));
    const res = await receiver.send(JSON.stringify({ ...raw, alerts }));
    expect(res.status).toBe(200);
    expect(pending(receiver)).toBe(1);
  });

  it('answers 503 (retried by Alertmanager) only when storing failed', async () => {
    receiver = await startReceiver({
      inbox: (db) => {
        const inbox = new SqliteAlertInbox(db);
        inbox.add = () => {
          throw new Error('disk full');
        };
        return inbox;
      },
    });
    expect(await receiver.send(rawFixture('firing'))).toMatchObject({ status: 503 });
    expect(receiver.counters.snapshot().failed).toBe(1);
  });
});
