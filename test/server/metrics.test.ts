/** GET /metrics: bearer token, Prometheus text format, figures from the store and counters. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertCounters } from '../../src/alerts/counters.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startHttpServer } from '../../src/server/http.ts';
import { metricsRoute } from '../../src/server/metrics-route.ts';
import { openDatabase } from '../../src/store/database.ts';
import { storeGauges } from '../../src/store/gauges.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { catchUserError, makeTempDir } from '../config/temp-config.ts';

const token = 'metrics-token-0123456789';
let dir: string;
let db: DatabaseSync;
let close: (() => Promise<void>) | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-metrics-'));
  db = openDatabase(join(dir, 'pes.db'));
});
afterEach(async () => {
  await close?.();
  close = undefined;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(counters: AlertCounters): Promise<string> {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    onError: () => undefined,
    readiness: { check: () => Promise.resolve({}) },
    routes: [metricsRoute(token, [storeGauges(db), () => counters.exposition()])],
  });
  close = () => server.close();
  return `http://127.0.0.1:${server.port}/metrics`;
}

// A sample line of the text format: name, optional {label="value",…}, a number.
const sample =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? -?\d+(\.\d+)?$/;

describe('GET /metrics', () => {
  it('refuses a missing or wrong token with 401 and shows nothing', async () => {
    const url = await start(new AlertCounters());
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(await none.text()).not.toContain('pes_');
    const wrong = await fetch(url, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const basic = await fetch(url, { headers: { authorization: `Basic ${token}` } });
    expect(basic.status).toBe(401);
  });

  it('shows alert counters and outbox and job gauges in the text format', async () => {
    const counters = new AlertCounters();
    counters.add('received', 3);
    counters.add('deduplicated');
    const outbox = new SqliteOutboxStore(db);
    outbox.enqueue({ key: 'a', room: 'mattermost:x', kind: 'post', payload: '{}' });
    outbox.enqueue({ key: 'b', room: 'mattermost:x', kind: 'post', payload: '{}' });
    outbox.enqueue({ key: 'c', room: 'matrix:!r:example.org', kind: 'post', payload: '{}' });
    const url = await start(counters);
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const lines = text.trimEnd().split('\n');
    for (const line of lines) {
      if (!line.startsWith('#')) expect(line).toMatch(sample);
    }
    expect(lines).toContain('pes_alerts_received_total 3');
    expect(lines).toContain('pes_alerts_deduplicated_total 1');
    expect(lines).toContain('# TYPE pes_alerts_received_total counter');
    expect(lines).toContain('pes_outbox_items{messenger="mattermost",state="pending"} 2');
    expect(lines).toContain('pes_outbox_items{messenger="matrix",state="pending"} 1');
    expect(lines).toContain('# TYPE pes_jobs gauge');
  });

  it('shows the size of the state database, its write-ahead log included', async () => {
    const url = await start(new AlertCounters());
    const bytes = async (): Promise<number> => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const line = (await res.text())
        .split('\n')
        .find((l) => l.startsWith('pes_state_database_bytes '));
      return Number(line?.split(' ')[1]);
    };
    const onDisk = (): number =>
      statSync(join(dir, 'pes.db')).size + statSync(join(dir, 'pes.db-wal')).size;
    const before = await bytes();
    expect(before).toBe(onDisk());
    // A megabyte written lands in the WAL first: the figure grows with it.
    db.prepare(
      "INSERT INTO outbox (idempotency_key, room, kind, payload, next_attempt_at, created_at) VALUES ('big', 'mattermost:x', 'post', ?, '', '')",
    ).run('x'.repeat(1024 * 1024));
    const after = await bytes();
    expect(after).toBe(onDisk());
    expect(after).toBeGreaterThan(before + 1024 * 1024);
  });
});

describe('server.metricsToken', () => {
  it('is read by reference and joins the redaction list', () => {
    const cwd = makeTempDir({ 'pes.yaml': 'server:\n  metricsToken: "${PES_METRICS}"\n' });
    const loaded = loadConfig({ flag: 'pes.yaml', env: { PES_METRICS: token }, cwd });
    expect(loaded.server.metricsToken).toBe(token);
    expect(loaded.catalog.secrets).toContain(token);
  });

  it('refuses a token written in plain text', () => {
    const cwd = makeTempDir({ 'pes.yaml': `server:\n  metricsToken: ${token}\n` });
    const error = catchUserError(() => loadConfig({ flag: 'pes.yaml', env: {}, cwd }));
    expect(error.code).toBe('config-invalid');
    expect(error.text('en')).not.toContain(token);
  });
});
