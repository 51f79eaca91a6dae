/** Small formatting helpers for the texts commands produce. */
import type { Locale } from './i18n.ts';

const units: Readonly<Record<Locale, readonly [string, string, string, string]>> = {
  ru: ['д', 'ч', 'мин', 'с'],
  en: ['d', 'h', 'm', 's'],
};

/**
 * Russian puts a space between a number and its unit (3 ч 12 мин), as every other Russian
 * text of the bot does (4,2 с, 5 мин); English reads the compact `3h 12m`.
 */
const unitGap: Readonly<Record<Locale, string>> = { ru: ' ', en: '' };

/** `2d 3h`, `5m 10s`: the two largest units are enough to read at a glance. */
export function formatDuration(ms: number, locale: Locale): string {
  const [d, h, m, s] = units[locale];
  const gap = unitGap[locale];
  const total = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(total / 86400), d],
    [Math.floor((total % 86400) / 3600), h],
    [Math.floor((total % 3600) / 60), m],
    [total % 60, s],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return `0${gap}${s}`;
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${gap}${unit}`)
    .join(' ');
}

/** Columns padded to their widest cell: a table that reads in any monospace block. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Whether the runtime knows `zone` as a time zone (Intl throws a RangeError otherwise). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone !== '';
  } catch {
    return false;
  }
}

export interface TimeOptions {
  /** IANA zone; undefined: the host's. */
  readonly timeZone?: string | undefined;
  /** Down to the second (the audit log), else to the minute. */
  readonly seconds?: boolean;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(timeZone: string | undefined, seconds: boolean): Intl.DateTimeFormat {
  const key = `${timeZone ?? ''}|${seconds}`;
  let f = timeFormats.get(key);
  if (f === undefined) {
    // en-US for the parts only: the date is put together as year-month-day below, and its
    // short zone names are the widely known ones (UTC, EST, GMT+3).
    f = new Intl.DateTimeFormat('en-US', {
      ...(timeZone === undefined ? {} : { timeZone }),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    timeFormats.set(key, f);
  }
  return f;
}

/**
 * `2026-12-06 03:14 GMT+3`: a moment as people read it, in the configured zone and naming
 * it, so that a post read in another city, or a copy of a terminal line, is not an hour off.
 */
export function formatTime(date: Date | undefined, options: TimeOptions = {}): string {
  if (date === undefined || Number.isNaN(date.getTime())) return '—';
  const seconds = options.seconds === true;
  const parts = Object.fromEntries(
    timeFormat(options.timeZone, seconds)
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const time = `${parts['hour']}:${parts['minute']}${seconds ? `:${parts['second']}` : ''}`;
  return `${parts['year']}-${parts['month']}-${parts['day']} ${time} ${parts['timeZoneName']}`;
}

/** `2026-12-06`: the day of a moment in the configured zone. */
export function formatDay(date: Date, timeZone?: string): string {
  return formatTime(date, { timeZone }).slice(0, 10);
}
