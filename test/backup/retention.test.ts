/**
 * The retention policy the bot decides itself (src/backup/retention.ts), against what restic
 * 0.14 and borg 1.2 keep for the same snapshots and policy: the expectations are those the
 * real engines gave in test/integration/backup-engines.test.ts ("retention keeps exactly
 * what the policy says").
 */
import { describe, expect, it } from 'vitest';
import { retentionRemoves } from '../../src/backup/retention.ts';
import type { Snapshot } from '../../src/backup/types.ts';

const times: Record<string, string> = {
  nov20: '2023-11-20T12:00:00Z',
  dec15: '2023-12-15T12:00:00Z',
  jan1: '2024-01-01T12:00:00Z',
  jan2: '2024-01-02T12:00:00Z',
  jan3early: '2024-01-03T09:00:00Z',
  jan3: '2024-01-03T12:00:00Z',
  jan4: '2024-01-04T12:00:00Z',
  jan5early: '2024-01-05T08:00:00Z',
  jan5: '2024-01-05T12:00:00Z',
};

const snapshots: Snapshot[] = Object.entries(times).map(([id, iso]) => ({
  id,
  time: new Date(iso),
  tags: { service: 'kept', source: 'postgres:db', job: id, extra: [] },
  filename: 'db.pgdump',
  kind: 'stream',
}));

const policy = { keepLast: 2, keepDaily: 3, keepWeekly: 1, keepMonthly: 2 };

function kept(removed: readonly string[]): string[] {
  return Object.keys(times)
    .filter((id) => !removed.includes(id))
    .sort();
}

describe('retention decided by the bot', () => {
  it('keeps what restic forget keeps: every rule on its own', () => {
    expect(kept(retentionRemoves(snapshots, policy, 'restic'))).toEqual([
      'dec15',
      'jan3',
      'jan4',
      'jan5',
      'jan5early',
    ]);
  });

  it('keeps what borg prune keeps: the rules in turn, reaching further back', () => {
    expect(kept(retentionRemoves(snapshots, policy, 'borg'))).toEqual([
      'dec15',
      'jan2',
      'jan3',
      'jan4',
      'jan5',
      'jan5early',
      'nov20',
    ]);
  });

  it('keeps everything without a rule, and keepLast alone keeps the newest', () => {
    expect(retentionRemoves(snapshots, {}, 'restic')).toEqual([]);
    expect(kept(retentionRemoves(snapshots, { keepLast: 3 }, 'restic'))).toEqual([
      'jan4',
      'jan5',
      'jan5early',
    ]);
  });

  it('borg keeps the oldest snapshot too when a rule finds fewer periods than it asks for', () => {
    const oneWeek = snapshots.filter((s) => ['jan1', 'jan2', 'jan3'].includes(s.id));
    expect(retentionRemoves(oneWeek, { keepWeekly: 2 }, 'borg')).toEqual(['jan2']);
    expect(retentionRemoves(oneWeek, { keepWeekly: 2 }, 'restic')).toEqual(['jan2', 'jan1']);
  });
});
