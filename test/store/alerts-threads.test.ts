/** The state of an alert group is one for all the rooms it was posted in. */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteAlertThreads } from '../../src/store/alerts-repo.ts';

describe('alert threads of one group in several rooms', () => {
  it('share who acknowledged and the silence, also with a room the group reaches later', () => {
    const db = openDatabase(':memory:');
    const threads = new SqliteAlertThreads(db);
    const group = '{}:{alertname="QueueStuck"}';
    const mm = threads.add({
      room: 'mattermost:c',
      groupKey: group,
      rootKey: 'a',
      inDigest: false,
    });
    const mx = threads.add({ room: 'matrix:!r:s', groupKey: group, rootKey: 'b', inDigest: false });
    const other = threads.add({
      room: 'mattermost:c',
      groupKey: '{}:{alertname="Other"}',
      rootKey: 'c',
      inDigest: false,
    });
    expect(threads.acknowledge(mm, 'anna')).toBe(true);
    const until = new Date('2030-01-01T00:00:00Z');
    expect(threads.silenced(mx, until, 'oleg')).toBe(true);
    for (const id of [mm, mx]) {
      expect(threads.byId(id)).toMatchObject({
        ackedBy: 'anna',
        silencedUntil: until,
        silencedBy: 'oleg',
      });
    }
    expect(threads.byId(other)).toMatchObject({ ackedBy: undefined, silencedUntil: undefined });
    // Quiet hours over in a third room: its new root starts with the group's state.
    const late = threads.add({
      room: 'mattermost:d',
      groupKey: group,
      rootKey: 'd',
      inDigest: false,
    });
    expect(threads.byId(late)).toMatchObject({ ackedBy: 'anna', silencedBy: 'oleg' });
    expect(threads.ofGroup(group).map((t) => t.room)).toEqual([
      'mattermost:c',
      'matrix:!r:s',
      'mattermost:d',
    ]);
    expect(threads.acknowledge(999, 'nobody')).toBe(false);
    db.close();
  });
});
