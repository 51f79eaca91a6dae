/**
 * Retention of the state database on a real SQLite file with rows of various ages: a pass
 * deletes exactly the old rows that may go, keeps what must stay, and works in batches.
 */
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { OutboxPostButtons } from '../../src/chat/mattermost/post-buttons.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { StatePruner, type RetentionDays } from '../../src/store/retention.ts';
import { startRetention } from '../../src/store/retention-timer.ts';
import { tempDb, type TempDb } from './helpers.ts';

const now = new Date('2026-06-01T12:00:00.000Z');
const dayMs = 24 * 60 * 60 * 1000;
const ago = (days: number): string => new Date(now.getTime() - days * dayMs).toISOString();

const days: RetentionDays = {
  outboxDays: 7,
  alertBatchDays: 30,
  alertThreadDays: 30,
  jobDays: 180,
  confirmationDays: 30,
  scheduleRunDays: 180,
};

let t: TempDb;
let db: DatabaseSync;
beforeEach(() => {
  t = tempDb();
  db = t.db;
});
afterEach(() => t.cleanup());

function outbox(key: string, state: string, ageDays: number, target?: string): void {
  db.prepare(
    `INSERT INTO outbox (idempotency_key, room, kind, payload, target_key, state, next_attempt_at,
                         created_at, sent_at)
     VALUES (?, 'mattermost:ops', ?, '{}', ?, ?, ?, ?, ?)`,
  ).run(
    key,
    target === undefined ? 'post' : 'patch',
    target ?? null,
    state,
    ago(ageDays),
    ago(ageDays),
    state === 'sent' ? ago(ageDays) : null,
  );
}

function batch(digest: string, group: string, status: string, state: string, age: number): number {
  const result = db
    .prepare(
      `INSERT INTO alert_batches (digest, group_key, payload, received_at, state)
       VALUES (?, ?, ?, ?, ?)`,
    )
    .run(digest, group, JSON.stringify({ status, groupKey: group }), ago(age), state);
  return Number(result.lastInsertRowid);
}

function thread(room: string, group: string, rootKey: string, age: number): void {
  db.prepare(
    `INSERT INTO alert_threads (room, group_key, root_key, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?)`,
  ).run(room, group, rootKey, ago(age), ago(age));
}

function job(state: string, age: number): number {
  const finished = state === 'queued' || state === 'running' ? null : ago(age);
  const result = db
    .prepare(
      `INSERT INTO jobs (command, text, actor, room, state, created_at, finished_at, owner_pid)
       VALUES ('backup', 'backup x', 'local:a', 'terminal', ?, ?, ?, 1)`,
    )
    .run(state, ago(age + 1), finished);
  return Number(result.lastInsertRowid);
}

function confirmation(code: string, state: string, expiredDaysAgo: number): void {
  db.prepare(
    `INSERT INTO confirmations (code, text, command, actor, room, description, created_at,
                                expires_at, state)
     VALUES (?, 'restore x', 'restore', 'local:a', 'terminal', 'd', ?, ?, ?)`,
  ).run(code, ago(expiredDaysAgo + 1), ago(expiredDaysAgo), state);
}

function scheduleRun(age: number, finished: boolean): void {
  db.prepare(
    `INSERT INTO schedule_runs (schedule, service, due_at, started_at, finished_at, result)
     VALUES ('backup:x', 'x', ?, ?, ?, 'ok')`,
  ).run(ago(age), ago(age), finished ? ago(age) : null);
}

const keys = (sql: string): string[] =>
  (db.prepare(sql).all() as { k: string | number }[]).map((r) => String(r.k)).sort();

function pruner(batchRows = 500): StatePruner {
  return new StatePruner(db, days, { now: () => now, batchRows });
}

describe('state retention', () => {
  it('deletes delivered outbox items older than outboxDays, keeping what must stay', () => {
    outbox('old-sent', 'sent', 8);
    outbox('old-superseded', 'superseded', 9);
    outbox('young-sent', 'sent', 6);
    outbox('old-pending', 'pending', 20);
    outbox('old-failed', 'failed', 20);
    outbox('old-sending', 'sending', 20);
    // The root of a kept alert thread: its edits need its remote id.
    outbox('alert:1:mattermost:ops:root', 'sent', 20);
    thread('mattermost:ops', 'g-root', 'alert:1:mattermost:ops:root', 1);
    // A post that an edit not yet delivered targets.
    outbox('target-of-pending', 'sent', 20);
    outbox('pending-edit', 'pending', 20, 'target-of-pending');
    // An open Matrix confirmation prompt, and a closed one.
    outbox('prompt-open', 'sent', 20);
    outbox('prompt-closed', 'sent', 20);
    db.prepare(
      `INSERT INTO matrix_prompts (prompt_key, room_id, code, title, created_at, closed_at)
       VALUES ('prompt-open', '!r:x', 'AAAA', 't', ?, NULL),
              ('prompt-closed', '!r:x', 'BBBB', 't', ?, ?)`,
    ).run(ago(20), ago(20), ago(19));

    const counts = pruner().pruneAll();
    expect(counts.outbox).toBe(3);
    expect(keys('SELECT idempotency_key AS k FROM outbox')).toEqual(
      [
        'young-sent',
        'old-pending',
        'old-failed',
        'old-sending',
        'alert:1:mattermost:ops:root',
        'target-of-pending',
        'pending-edit',
        'prompt-open',
      ].sort(),
    );
  });

  it('keeps the newest sent edit of a kept post, so its buttons stay what the post shows', () => {
    const buttons = (ids: readonly string[]): string =>
      JSON.stringify({
        text: 't',
        props: { attachments: [{ actions: ids.map((id) => ({ id })) }] },
      });
    const row = db.prepare(
      `INSERT INTO outbox (idempotency_key, room, kind, payload, target_key, state,
                           next_attempt_at, remote_id, created_at, sent_at)
       VALUES (?, 'mattermost:ops', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const add = (
      key: string,
      ids: readonly string[],
      state: string,
      age: number,
      target?: string,
    ): void => {
      row.run(
        key,
        target === undefined ? 'post' : 'patch',
        buttons(ids),
        target ?? null,
        state,
        ago(age),
        target === undefined ? `remote-${key}` : null,
        ago(age),
        state === 'sent' ? ago(age) : null,
      );
    };
    // An alert thread still kept: posted on day 20, its silence buttons replaced on day 19.
    add('alert:1:root', ['silence1h-a'], 'sent', 20);
    thread('mattermost:ops', 'g-firing', 'alert:1:root', 1);
    add('edit-1', ['silence1h-b'], 'sent', 19.5, 'alert:1:root');
    add('edit-superseded', ['silence1h-x'], 'superseded', 19.2, 'alert:1:root');
    add('edit-2', ['silence1h-c'], 'sent', 19, 'alert:1:root');
    // Edits of a post already pruned tell nothing any more.
    add('orphan-edit', ['x'], 'sent', 19, 'gone-post');

    pruner().pruneAll();
    expect(keys('SELECT idempotency_key AS k FROM outbox')).toEqual(['alert:1:root', 'edit-2']);
    expect(new OutboxPostButtons(db).current('remote-alert:1:root')).toEqual(['silence1h-c']);
  });

  it('keeps the newest notification of a group still firing, and held ones; deletes the rest when old', () => {
    // Group a: fired long ago and still firing (its newest is firing): the newest stays.
    const aOld = batch('a1', 'a', 'firing', 'delivered', 60);
    const aNewest = batch('a2', 'a', 'firing', 'delivered', 45);
    // Group b: resolved long ago: all of it goes.
    batch('b1', 'b', 'firing', 'delivered', 60);
    batch('b2', 'b', 'resolved', 'delivered', 50);
    // Group c: young.
    const cYoung = batch('c1', 'c', 'resolved', 'delivered', 10);
    // Group d: an old failed one, and an old one held for quiet hours.
    batch('d1', 'd', 'resolved', 'failed', 40);
    const held = batch('e1', 'e', 'resolved', 'delivered', 40);
    db.prepare(
      "INSERT INTO alert_held (room, group_key, batch_id, held_at) VALUES ('mattermost:ops', 'e', ?, ?)",
    ).run(held, ago(40));
    // A pending one is never deleted, whatever its age.
    const pending = batch('f1', 'f', 'firing', 'pending', 90);
    // Threads: of a firing group (stays), of a resolved one (goes), young (stays).
    thread('mattermost:ops', 'a', 'alert:a:root', 45);
    thread('mattermost:ops', 'b', 'alert:b:root', 50);
    thread('mattermost:ops', 'c', 'alert:c:root', 10);
    thread('mattermost:ops', 'e', 'alert:e:root', 40);
    // The same group in another room has nothing held there: it goes.
    thread('matrix:!r:x', 'e', 'alert:e2:root', 40);

    const counts = pruner().pruneAll();
    expect(counts.alert_batches).toBe(4);
    expect(keys('SELECT id AS k FROM alert_batches')).toEqual(
      [aNewest, cYoung, held, pending].map(String).sort(),
    );
    expect(aOld).toBeLessThan(aNewest);
    expect(counts.alert_threads).toBe(2);
    expect(keys("SELECT room || ' ' || group_key AS k FROM alert_threads")).toEqual([
      'mattermost:ops a',
      'mattermost:ops c',
      'mattermost:ops e',
    ]);
  });

  it('deletes old finished jobs, confirmations and schedule runs, never active jobs', () => {
    const running = job('running', 400);
    const queued = job('queued', 400);
    job('succeeded', 181);
    job('cancelled', 200);
    const young = job('failed', 100);
    confirmation('OLD1', 'confirmed', 31);
    confirmation('OLD2', 'pending', 40);
    confirmation('YNG1', 'declined', 3);
    confirmation('PEND', 'pending', -1);
    // An open Matrix prompt still shows this one's code.
    confirmation('OPEN', 'expired', 40);
    db.prepare(
      `INSERT INTO matrix_prompts (prompt_key, room_id, code, title, created_at)
       VALUES ('k', '!r:x', 'OPEN', 't', ?)`,
    ).run(ago(40));
    scheduleRun(200, true);
    scheduleRun(190, false);
    scheduleRun(10, true);

    const counts = pruner().pruneAll();
    expect(counts).toMatchObject({ jobs: 2, confirmations: 2, schedule_runs: 2 });
    expect(keys('SELECT id AS k FROM jobs')).toEqual([running, queued, young].map(String).sort());
    expect(keys('SELECT code AS k FROM confirmations')).toEqual(['OPEN', 'PEND', 'YNG1']);
    expect(keys('SELECT count(*) AS k FROM schedule_runs')).toEqual(['1']);
  });

  it('leaves the audit log whole', () => {
    const audit = new SqliteAuditLog(db);
    for (let i = 0; i < 3; i++) {
      audit.append({
        at: new Date(ago(1000)),
        actor: 'local:a',
        room: 'terminal',
        source: 'terminal',
        raw: `status ${i}`,
        command: 'status',
        decision: 'allowed',
        result: 'ok',
        durationMs: 1,
      });
    }
    pruner().pruneAll();
    expect(audit.last(10)).toHaveLength(3);
    expect(audit.verify()).toEqual([]);
  });

  it('works in transactions of at most batchRows rows, one step at a time', () => {
    for (let i = 0; i < 25; i++) outbox(`old-${i}`, 'sent', 30);
    outbox('kept', 'failed', 30);
    for (let i = 25; i < 30; i++) outbox(`old-${i}`, 'sent', 30);
    const steps = [...pruner(10).pass()].filter((s) => s.table === 'outbox');
    // 31 rows in windows of 10 (the kept one in the third): 4 steps, none over 10 rows.
    expect(steps.map((s) => s.deleted)).toEqual([10, 10, 9, 1]);
    expect(keys('SELECT idempotency_key AS k FROM outbox')).toEqual(['kept']);
  });

  it('in pes serve: passes one batch at a time, yielding to other work between them', async () => {
    for (let i = 0; i < 40; i++) outbox(`old-${i}`, 'sent', 30);
    const log = createLogger({ level: 'silent' });
    // Real time here: rows made 30 days before the real now.
    db.prepare('UPDATE outbox SET created_at = ?, sent_at = ?').run(
      new Date(Date.now() - 30 * dayMs).toISOString(),
      new Date(Date.now() - 30 * dayMs).toISOString(),
    );
    const runner = startRetention(db, days, log, { firstDelayMs: 0, gapMs: 20, batchRows: 10 });
    const seen: number[] = [];
    // Another task reads the table while the pass runs: it sees it shrink batch by batch.
    const watcher = setInterval(() => {
      seen.push((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
    }, 1);
    const counts = await runner.passed();
    clearInterval(watcher);
    runner.stop();
    expect(counts.outbox).toBe(40);
    expect(seen.some((n) => n > 0 && n < 40)).toBe(true);
  });
});
