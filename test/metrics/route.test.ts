/**
 * GET /metrics from prom-client: the bearer token, and figures that move when the bot's real
 * code paths run (the core's invocation path and job runner, the state store, the backup
 * ledger, the alert counters).
 */
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { durationBuckets } from '../../src/metrics/buckets.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { catchUserError, makeTempDir } from '../config/temp-config.ts';
import { scrape, startMetricsBed, token, type MetricsBed } from './bed.ts';

let bed: MetricsBed;
beforeEach(async () => {
  bed = await startMetricsBed();
});
afterEach(async () => {
  await bed.close();
});

const value = async (series: string): Promise<number | undefined> =>
  (await scrape(bed.url)).samples.get(series);

describe('GET /metrics: the token', () => {
  it('answers 401 and nothing else without the token, with a wrong one or another scheme', async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${token}x` },
      { authorization: `Basic ${token}` },
      { authorization: token },
    ];
    for (const headers of cases) {
      const res = await fetch(bed.url, { headers });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('unauthorized\n');
    }
    const head = await fetch(bed.url, { method: 'HEAD' });
    expect(head.status).toBe(401);
    const ok = await fetch(bed.url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await ok.text()).toContain('pes_build_info{version="9.8.7"');
  });
});

describe('GET /metrics: commands and jobs', () => {
  it('counts commands by name and outcome and times them', async () => {
    const before = await scrape(bed.url);
    expect(before.samples.get('pes_commands_total{command="status",outcome="ok"}')).toBeUndefined();
    expect((await bed.invoke('status')).status).toBe('ok');
    expect((await bed.invoke('status')).status).toBe('ok');
    expect((await bed.invoke('frobnicate now')).status).toBe('usage');
    expect((await bed.invoke('status', 'mattermost:stranger')).status).toBe('denied');
    const after = await scrape(bed.url);
    expect(after.samples.get('pes_commands_total{command="status",outcome="ok"}')).toBe(2);
    expect(after.samples.get('pes_commands_total{command="unknown",outcome="usage"}')).toBe(1);
    expect(after.samples.get('pes_commands_total{command="status",outcome="denied"}')).toBe(1);
    expect(after.samples.get('pes_command_duration_seconds_count{command="status"}')).toBe(3);
    expect(after.samples.get('pes_command_duration_seconds_sum{command="status"}')).toBeGreaterThan(
      0,
    );
  });

  it('times jobs by how they ended, and shows the jobs of the store by state', async () => {
    expect((await bed.invoke('touch moodle')).status).toBe('ok');
    expect((await bed.invoke('breaks keycloak')).status).toBe('failed');
    const s = await scrape(bed.url);
    expect(s.samples.get('pes_job_duration_seconds_count{command="touch",state="succeeded"}')).toBe(
      1,
    );
    expect(s.samples.get('pes_job_duration_seconds_count{command="breaks",state="failed"}')).toBe(
      1,
    );
    expect(s.samples.get('pes_commands_total{command="breaks",outcome="failed"}')).toBe(1);
    expect(s.samples.get('pes_jobs{state="succeeded"}')).toBe(1);
    expect(s.samples.get('pes_jobs{state="failed"}')).toBe(1);
  });

  it('has histogram buckets from 5 ms up to an hour, then +Inf', async () => {
    await bed.invoke('touch moodle');
    const s = await scrape(bed.url);
    for (const family of ['pes_command_duration_seconds', 'pes_job_duration_seconds']) {
      expect(s.types.get(family)).toBe('histogram');
      const les = [...s.samples.keys()]
        .filter((k) => k.startsWith(`${family}_bucket{`) && k.includes('command="touch"'))
        .map((k) => /le="([^"]+)"/.exec(k)?.[1]);
      expect(les).toEqual([...durationBuckets.map(String), '+Inf']);
    }
    expect(durationBuckets.at(-1)).toBe(3600);
    expect(durationBuckets[0]).toBeLessThanOrEqual(0.005);
  });
});

describe('GET /metrics: what the store holds', () => {
  it('shows outbox items by messenger and state, and the database size with its WAL', async () => {
    const outbox = new SqliteOutboxStore(bed.db);
    outbox.enqueue({ key: 'a', room: 'mattermost:x', kind: 'post', payload: '{}' });
    outbox.enqueue({ key: 'b', room: 'mattermost:x', kind: 'post', payload: '{}' });
    outbox.enqueue({ key: 'c', room: 'matrix:!r:example.org', kind: 'post', payload: '{}' });
    const s = await scrape(bed.url);
    expect(s.samples.get('pes_outbox_items{messenger="mattermost",state="pending"}')).toBe(2);
    expect(s.samples.get('pes_outbox_items{messenger="matrix",state="pending"}')).toBe(1);
    const onDisk = (): number =>
      statSync(bed.dbPath).size +
      (statSync(`${bed.dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    expect(s.samples.get('pes_state_database_bytes')).toBe(onDisk());
  });

  it('counts outbox items given up on once each, from 0, and keeps the count when they go', async () => {
    const outbox = new SqliteOutboxStore(bed.db);
    // Served messengers show 0 before their first failure, so increase() sees that one.
    expect(await value('pes_outbox_failures_total{messenger="mattermost"}')).toBe(0);
    const a = outbox.enqueue({ key: 'fa', room: 'mattermost:x', kind: 'post', payload: '{}' });
    const b = outbox.enqueue({
      key: 'fb',
      room: 'matrix:!r:example.org',
      kind: 'post',
      payload: '{}',
    });
    outbox.markSending(a.id);
    outbox.fail(a.id, 'refused');
    outbox.fail(a.id, 'refused again');
    outbox.fail(b.id, 'refused');
    outbox.enqueue({ key: 'fc', room: 'mattermost:x', kind: 'post', payload: '{}' });
    let s = await scrape(bed.url);
    expect(s.types.get('pes_outbox_failures_total')).toBe('counter');
    expect(s.samples.get('pes_outbox_failures_total{messenger="mattermost"}')).toBe(1);
    expect(s.samples.get('pes_outbox_failures_total{messenger="matrix"}')).toBe(1);
    // A failed row removed (by hand, or a later retention) does not lower the counter.
    bed.db.prepare("DELETE FROM outbox WHERE state = 'failed'").run();
    s = await scrape(bed.url);
    expect(s.samples.get('pes_outbox_failures_total{messenger="mattermost"}')).toBe(1);
    expect(
      s.samples.get('pes_outbox_items{messenger="mattermost",state="failed"}'),
    ).toBeUndefined();
  });

  it('shows per service and source the last complete backup and the last drills', async () => {
    const t0 = new Date('2026-12-01T03:00:00Z');
    const at = (s: number): Date => new Date(t0.getTime() + s * 1000);
    const { ledger } = bed;
    ledger.startRun({ job: 'j1', jobId: undefined, service: 'moodle', at: t0 });
    const manifest = { service: 'moodle', job: 'j1', sha256: 'x', files: undefined };
    ledger.recordManifest({
      ...manifest,
      snapshotId: 's1',
      source: 'volume:data',
      bytes: 5000,
      createdAt: at(40),
    });
    ledger.recordManifest({
      ...manifest,
      snapshotId: 's2',
      source: 'postgres:moodle',
      bytes: 700,
      createdAt: at(55),
    });
    // Not complete yet: a run that is still going (or was cut short) is no backup.
    expect(
      await value(
        'pes_backup_last_success_timestamp_seconds{service="moodle",source="volume:data"}',
      ),
    ).toBeUndefined();
    ledger.completeRun('j1', at(60));
    let s = await scrape(bed.url);
    const key = (source: string): string => `{service="moodle",source="${source}"}`;
    expect(s.samples.get(`pes_backup_last_success_timestamp_seconds${key('volume:data')}`)).toBe(
      at(40).getTime() / 1000,
    );
    expect(s.samples.get(`pes_backup_last_success_size_bytes${key('volume:data')}`)).toBe(5000);
    expect(s.samples.get(`pes_backup_last_success_duration_seconds${key('volume:data')}`)).toBe(40);
    expect(s.samples.get(`pes_backup_last_success_duration_seconds${key('postgres:moodle')}`)).toBe(
      15,
    );
    expect(
      s.samples.get(`pes_restore_drill_last_success_timestamp_seconds${key('volume:data')}`),
    ).toBeUndefined();
    // A drill that passes, then one that fails on the same snapshot.
    ledger.recordVerification('s1', true, undefined, at(3600));
    ledger.recordVerification('s2', false, 'mismatch', at(3700));
    s = await scrape(bed.url);
    expect(
      s.samples.get(`pes_restore_drill_last_success_timestamp_seconds${key('volume:data')}`),
    ).toBe(at(3600).getTime() / 1000);
    expect(
      s.samples.get(`pes_restore_drill_last_failure_timestamp_seconds${key('postgres:moodle')}`),
    ).toBe(at(3700).getTime() / 1000);
    expect(
      s.samples.get(`pes_restore_drill_last_failure_timestamp_seconds${key('volume:data')}`),
    ).toBeUndefined();
    // The schedules: daily backups, weekly drills.
    expect(s.samples.get('pes_backup_schedule_interval_seconds{service="moodle"}')).toBe(86400);
    expect(s.samples.get('pes_restore_drill_schedule_interval_seconds{service="moodle"}')).toBe(
      7 * 86400,
    );
  });

  it('shows the alert counters and whether each messenger is connected', async () => {
    bed.counters.add('received', 3);
    bed.counters.add('deduplicated');
    let s = await scrape(bed.url);
    expect(s.samples.get('pes_alerts_received_total')).toBe(3);
    expect(s.samples.get('pes_alerts_deduplicated_total')).toBe(1);
    expect(s.samples.get('pes_alerts_failed_total')).toBe(0);
    expect(s.types.get('pes_alerts_received_total')).toBe('counter');
    expect(s.samples.get('pes_messenger_connected{messenger="mattermost"}')).toBe(0);
    bed.connected = true;
    bed.counters.add('received');
    s = await scrape(bed.url);
    expect(s.samples.get('pes_messenger_connected{messenger="mattermost"}')).toBe(1);
    expect(s.samples.get('pes_alerts_received_total')).toBe(4);
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
