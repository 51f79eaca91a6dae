/**
 * The longest gap of a backup or drill schedule, which PesBackupTooOld and
 * PesRestoreDrillTooOld compare a backup's age with: a frequent weekday schedule's longest
 * gap is its weekend, however many runs come before it.
 */
import { describe, expect, it } from 'vitest';
import { cronIntervalSeconds, maxRunsRead } from '../../src/metrics/process-gauges.ts';

const hour = 3600;
const day = 24 * hour;
/** A Monday, 00:00 UTC: the weekend is as far ahead as it gets. */
const monday = new Date('2026-12-07T00:00:00Z');

describe('cronIntervalSeconds', () => {
  it('sees the weekend of a schedule that runs every 15 minutes on weekdays', () => {
    // Friday 23:45 to Monday 00:00; 400 runs from a Monday end on Friday morning.
    expect(cronIntervalSeconds('*/15 * * * 1-5', 'UTC', monday)).toBe(2 * day + 15 * 60);
  });

  it('sees the weekend of a schedule that runs every minute on weekdays', () => {
    expect(cronIntervalSeconds('* * * * 1-5', 'UTC', monday)).toBe(2 * day + 60);
  });

  it('reads enough runs of an every-minute schedule to span more than 8 days', () => {
    expect(maxRunsRead * 60).toBeGreaterThan(8 * day);
  });

  it('gives a daily schedule a day and a monthly one its longest month', () => {
    expect(cronIntervalSeconds('0 3 * * *', 'UTC', monday)).toBe(day);
    expect(cronIntervalSeconds('0 5 * * 0', 'UTC', monday)).toBe(7 * day);
    expect(cronIntervalSeconds('0 3 1 * *', 'UTC', monday)).toBe(31 * day);
  });

  it('counts a daylight saving change in the schedule’s time zone', () => {
    // Berlin leaves summer time on the last Sunday of October: that day has 25 hours.
    expect(cronIntervalSeconds('0 3 * * *', 'Europe/Berlin', monday)).toBe(day + hour);
  });
});
