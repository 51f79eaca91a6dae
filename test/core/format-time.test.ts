/** Times as people read them: in the configured zone, and naming it. */
import { describe, expect, it } from 'vitest';
import { formatDay, formatDuration, formatTime, isTimeZone } from '../../src/core/format.ts';

const at = new Date('2026-12-06T00:14:09Z');

describe('formatTime', () => {
  it('shows a moment in the configured zone and names the zone', () => {
    expect(formatTime(at, { timeZone: 'Europe/Moscow' })).toBe('2026-12-06 03:14 GMT+3');
    expect(formatTime(at, { timeZone: 'UTC' })).toBe('2026-12-06 00:14 UTC');
    expect(formatTime(at, { timeZone: 'America/New_York' })).toBe('2026-12-05 19:14 EST');
    expect(formatTime(at, { timeZone: 'UTC', seconds: true })).toBe('2026-12-06 00:14:09 UTC');
    expect(formatDay(at, 'America/New_York')).toBe('2026-12-05');
  });

  it("uses the host's zone when none is configured, and still names it", () => {
    const host = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(formatTime(at)).toBe(formatTime(at, { timeZone: host }));
    expect(formatTime(at)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d \S+$/);
    expect(formatTime(undefined)).toBe('—');
  });

  it('knows a zone from a typo', () => {
    expect(isTimeZone('Europe/Moscow')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Moskva')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('formatDuration', () => {
  it('puts a space between a number and its unit in Russian, as the other texts do', () => {
    expect(formatDuration(3 * 3_600_000 + 12 * 60_000, 'ru')).toBe('3 ч 12 мин');
    expect(formatDuration(0, 'ru')).toBe('0 с');
    expect(formatDuration(3 * 3_600_000 + 12 * 60_000, 'en')).toBe('3h 12m');
  });
});
