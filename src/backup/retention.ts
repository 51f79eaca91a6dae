/**
 * The retention policy, decided by the bot over the snapshots it knows to be complete. The
 * engines' own policies (restic `forget --keep-*`, borg `prune`) count every snapshot under a
 * tag or name pattern, a partial one too: a few snapshots cut short by a crash would take the
 * places of good backups, which would be deleted. Here only complete snapshots count and only
 * they are removed; what is not known complete is left to the start-up sweep
 * (sweep-partial.ts) or to the admin.
 *
 * The rules are those of the configured engine, so that a policy keeps what it kept when the
 * engine applied it (measured against both in test/integration/backup-engines.test.ts):
 * - restic `forget`: each rule on its own keeps, newest first, the newest snapshot of each of
 *   its last N periods; what any rule keeps stays.
 * - borg 1.2 `prune`: the rules in turn (last, daily, weekly, monthly); a period whose newest
 *   snapshot an earlier rule keeps is passed over without counting, and a rule that finds
 *   fewer than N periods keeps the oldest snapshot too.
 * Periods are days, ISO weeks and months in the bot's local time, as both engines read a
 * snapshot's time; `keepLast` counts snapshots (borg: seconds). No rule keeps everything.
 */
import type { RetentionPolicy, Snapshot } from './types.ts';

type PeriodKey = (time: Date, index: number) => string;

function day(time: Date): string {
  return `${time.getFullYear()}-${time.getMonth() + 1}-${time.getDate()}`;
}

/** ISO 8601 week of the local date: Monday starts a week; the one with 4 January is week 1. */
function isoWeek(time: Date): string {
  // The local calendar date, counted in UTC so that no daylight-saving shift moves a day.
  const date = new Date(Date.UTC(time.getFullYear(), time.getMonth(), time.getDate()));
  const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  // The Thursday of this week decides the week's year.
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${week}`;
}

function month(time: Date): string {
  return `${time.getFullYear()}-${time.getMonth() + 1}`;
}

export type RetentionStyle = 'restic' | 'borg';

function second(time: Date): string {
  return `${day(time)} ${time.getHours()}:${time.getMinutes()}:${time.getSeconds()}`;
}

/** The ids the policy removes from `snapshots` (all of one service and source). */
export function retentionRemoves(
  snapshots: readonly Snapshot[],
  policy: RetentionPolicy,
  style: RetentionStyle,
): string[] {
  const rules: [number | undefined, PeriodKey][] = [
    [policy.keepLast, style === 'borg' ? second : (_time, index) => String(index)],
    [policy.keepDaily, day],
    [policy.keepWeekly, isoWeek],
    [policy.keepMonthly, month],
  ];
  const active = rules.filter((r): r is [number, PeriodKey] => r[0] !== undefined && r[0] > 0);
  if (active.length === 0) return [];
  const newestFirst = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime());
  const keep = new Set<string>();
  for (const [count, key] of active) {
    if (style === 'borg') keepBorg(newestFirst, count, key, keep);
    else keepRestic(newestFirst, count, key, keep);
  }
  return newestFirst.filter((s) => !keep.has(s.id)).map((s) => s.id);
}

function keepRestic(
  newestFirst: readonly Snapshot[],
  count: number,
  key: PeriodKey,
  keep: Set<string>,
): void {
  let left = count;
  let last: string | undefined;
  for (const [index, snapshot] of newestFirst.entries()) {
    if (left === 0) break;
    const period = key(snapshot.time, index);
    if (period === last) continue;
    keep.add(snapshot.id);
    last = period;
    left -= 1;
  }
}

/** borg 1.2's prune_split (borg/helpers/misc.py), rule by rule into one `keep`. */
function keepBorg(
  newestFirst: readonly Snapshot[],
  count: number,
  key: PeriodKey,
  keep: Set<string>,
): void {
  let kept = 0;
  let last: string | undefined;
  let seen: Snapshot | undefined;
  for (const [index, snapshot] of newestFirst.entries()) {
    seen = snapshot;
    const period = key(snapshot.time, index);
    if (period === last) continue;
    last = period;
    if (keep.has(snapshot.id)) continue;
    keep.add(snapshot.id);
    kept += 1;
    if (kept === count) break;
  }
  // Fewer periods than the rule asks for: the oldest snapshot is kept too.
  if (seen !== undefined && kept < count) keep.add(seen.id);
}
