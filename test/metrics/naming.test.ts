/**
 * Every family /metrics serves follows Prometheus' naming practices: one prefix (`pes_`),
 * snake case, base units named as a suffix, `_total` on counters and only on counters; and
 * the PromQL name extraction the dashboard and rule checks rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape, startMetricsBed, type MetricsBed, type Scrape } from './bed.ts';
import { metricNames } from './promql-names.ts';

let bed: MetricsBed;
let s: Scrape;
beforeAll(async () => {
  bed = await startMetricsBed();
  await bed.invoke('status');
  await bed.invoke('touch moodle');
  s = await scrape(bed.url);
});
afterAll(async () => {
  await bed.close();
});

/** Words that say a value is in a unit other than the base one. */
const nonBase =
  /_(milliseconds|ms|microseconds|minutes|hours|days|kilobytes|megabytes|kb|mb|percent)(_|$)/;

describe('metric names', () => {
  it('all start with pes_ and are snake case', () => {
    expect(s.types.size).toBeGreaterThan(30);
    for (const family of s.types.keys()) {
      expect(family).toMatch(/^pes_[a-z0-9]+(_[a-z0-9]+)*$/);
    }
  });

  it('end in _total exactly when they are counters', () => {
    for (const [family, type] of s.types) {
      if (type === 'counter') expect(family, family).toMatch(/_total$/);
      else expect(family, family).not.toMatch(/_total$/);
    }
  });

  it('use base units, named as the suffix', () => {
    for (const [family] of s.types) {
      expect(family, family).not.toMatch(nonBase);
      if (/(duration|_lag|timestamp|interval)/.test(family)) {
        expect(family, family).toMatch(/_seconds(_total)?$/);
      }
      if (/(_size|memory|_heap)/.test(family) && !/_fds$/.test(family)) {
        expect(family, family).toMatch(/_bytes(_total)?$/);
      }
    }
  });

  it('have label names in snake case, and no label repeats a family of its own', () => {
    for (const series of s.samples.keys()) {
      const labels = /\{(.*)\}$/.exec(series)?.[1] ?? '';
      for (const m of labels.matchAll(/([^=,]+)="(?:[^"\\]|\\.)*"/g)) {
        expect(m[1], series).toMatch(/^[a-z][a-z0-9_]*$/);
      }
    }
  });

  it('include the families the dashboard and the alert rules are built on', () => {
    for (const family of [
      'pes_commands_total',
      'pes_command_duration_seconds',
      'pes_job_duration_seconds',
      'pes_jobs',
      'pes_outbox_items',
      'pes_outbox_failures_total',
      'pes_state_database_bytes',
      'pes_build_info',
      'pes_messenger_connected',
      'pes_backup_last_success_timestamp_seconds',
      'pes_backup_last_success_size_bytes',
      'pes_backup_last_success_duration_seconds',
      'pes_restore_drill_last_success_timestamp_seconds',
      'pes_restore_drill_last_failure_timestamp_seconds',
      'pes_alerts_received_total',
      'pes_process_resident_memory_bytes',
      'pes_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(s.types.has(family), family).toBe(true);
    }
  });
});

describe('metricNames (PromQL)', () => {
  it('finds the series an expression reads, not its functions, labels or variables', () => {
    expect(
      metricNames(
        'sum by (command) (rate(pes_commands_total{outcome!="ok", job=~"$job"}[$__rate_interval])) / ignoring(outcome) group_left sum(rate(pes_commands_total[5m]))',
      ),
    ).toEqual(['pes_commands_total']);
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le) (rate(pes_job_duration_seconds_bucket[1h]))) > on (service) group_left () (pes_backup_schedule_interval_seconds + 7200) or absent(up{job="pes-bot"})',
      ),
    ).toEqual(['pes_backup_schedule_interval_seconds', 'pes_job_duration_seconds_bucket', 'up']);
    expect(metricNames('time() - max(pes_x_seconds offset 1h) and bool 1e3')).toEqual([
      'pes_x_seconds',
    ]);
  });
});
