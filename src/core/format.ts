/** Small formatting helpers for the texts commands produce. */
import type { Locale } from './i18n.ts';

const units: Readonly<Record<Locale, readonly [string, string, string, string]>> = {
  ru: ['д', 'ч', 'мин', 'с'],
  en: ['d', 'h', 'm', 's'],
};

/** `2d 3h`, `5m 10s`: the two largest units are enough to read at a glance. */
export function formatDuration(ms: number, locale: Locale): string {
  const [d, h, m, s] = units[locale];
  const total = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(total / 86400), d],
    [Math.floor((total % 86400) / 3600), h],
    [Math.floor((total % 3600) / 60), m],
    [total % 60, s],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return `0${s}`;
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
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

export function formatTime(date: Date | undefined): string {
  return date === undefined ? '—' : date.toISOString().replace('T', ' ').slice(0, 19);
}
