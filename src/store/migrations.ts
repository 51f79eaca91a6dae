/**
 * The schema, as an ordered list of migrations tracked with `PRAGMA user_version`.
 *
 * Append new migrations at the end with the next version; never edit one that has shipped,
 * because databases in the field have already applied it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { immediate } from './transactions.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Enumerated columns (states, sources, decisions) have no CHECK constraints on purpose:
// SQLite cannot alter a CHECK without rebuilding the table, and the mapping functions in the
// repositories reject unknown values anyway.
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        text TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        service TEXT,
        lock_key TEXT,
        state TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        progress_text TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        result TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        owner_pid INTEGER NOT NULL,
        -- Distinguishes this process from an earlier one that had the same pid (in a
        -- container the bot is pid 1 after every restart).
        owner_token TEXT NOT NULL DEFAULT ''
      );
      -- The lock itself, enforced by the database as a last line of defence: at most one
      -- active job per lock key, whatever the code above does.
      CREATE UNIQUE INDEX jobs_active_lock ON jobs (lock_key)
        WHERE lock_key IS NOT NULL AND state IN ('queued', 'running');
      CREATE INDEX jobs_active ON jobs (state) WHERE state IN ('queued', 'running');
    `,
  },
  {
    version: 2,
    name: 'audit',
    sql: `
      -- Ids are assigned by the application (they are part of the hashed content).
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        source TEXT NOT NULL,
        raw TEXT NOT NULL,
        command TEXT NOT NULL,
        decision TEXT NOT NULL,
        result TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      -- The end of the chain, kept apart from the rows so that cutting the tail shows.
      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        last_id INTEGER NOT NULL,
        last_hash TEXT NOT NULL
      );
      INSERT INTO audit_head (singleton, last_id, last_hash)
        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
      -- Append-only for the application. These do not stop someone with the file (they can
      -- drop the triggers); the hash chain is what makes that visible.
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END;
    `,
  },
  {
    version: 3,
    name: 'confirmations',
    sql: `
      CREATE TABLE confirmations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL,
        text TEXT NOT NULL,
        command TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        description TEXT NOT NULL,
        -- Which of the command's confirmations this is (deprovision --delete-data asks twice).
        step INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        decided_by TEXT,
        decided_at TEXT
      );
      -- Codes are short and get reused, but never by two pending confirmations at once.
      CREATE UNIQUE INDEX confirmations_pending_code ON confirmations (code)
        WHERE state = 'pending';
      CREATE INDEX confirmations_code ON confirmations (code, id);
    `,
  },
  {
    version: 4,
    name: 'outbox',
    sql: `
      -- Every message a messenger adapter sends, written before it is sent, so that a restart
      -- loses nothing and a retry never posts twice (the key also travels in the post).
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        room TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        -- For an edit: the key of the post it edits (its remote id is known once that is sent).
        target_key TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        -- 1 while a send may have reached the messenger without us learning so (crash,
        -- timeout): the next attempt first looks for the key among the room's posts.
        uncertain INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        remote_id TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
      );
      -- The head of each room's queue: rooms are delivered in order, each on its own.
      CREATE INDEX outbox_open ON outbox (room, id) WHERE state IN ('pending', 'sending');
      CREATE INDEX outbox_target ON outbox (target_key, id) WHERE target_key IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'mattermost_seen',
    sql: `
      -- Posts the Mattermost adapter took as commands: a command seen over the WebSocket and
      -- again in the REST catch-up after a reconnect is answered once.
      CREATE TABLE mattermost_seen (
        post_id TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        create_at INTEGER NOT NULL,
        seen_at TEXT NOT NULL
      );
      -- Per channel, the server time of the newest post seen: where a catch-up starts.
      CREATE TABLE mattermost_channels (
        channel_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        last_post_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'backup_ledger',
    sql: `
      -- What each snapshot held when it was made (src/backup/manifest.ts), so that a restore
      -- drill can tell a good snapshot from a corrupted one; and what the last drill found.
      CREATE TABLE backup_manifests (
        snapshot_id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        source TEXT NOT NULL,
        job TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        files INTEGER,
        created_at TEXT NOT NULL,
        verified_at TEXT,
        verify_ok INTEGER,
        verify_detail TEXT
      );
      CREATE INDEX backup_manifests_service ON backup_manifests (service, created_at);
      -- The last successful backup and drill per service, for status.
      CREATE TABLE backup_success (
        service TEXT NOT NULL,
        kind TEXT NOT NULL,
        job TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (service, kind)
      );
      -- Every run the scheduler started, and when each schedule is next due: a run missed
      -- while the bot was down is logged at the next start, not replayed.
      CREATE TABLE schedule_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        schedule TEXT NOT NULL,
        service TEXT,
        due_at TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        result TEXT
      );
      CREATE TABLE schedule_state (
        schedule TEXT PRIMARY KEY,
        next_due_at TEXT
      );
    `,
  },
  {
    version: 7,
    name: 'alerts',
    sql: `
      -- The durable inbox of Alertmanager notifications: stored before the receiver answers
      -- 200, delivered later. The digest recognises a re-sent notification.
      CREATE TABLE alert_batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        digest TEXT NOT NULL UNIQUE,
        group_key TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL,
        state TEXT NOT NULL,
        error TEXT
      );
      CREATE INDEX alert_batches_pending ON alert_batches (id) WHERE state = 'pending';
      -- Per room, the thread of each alert group: the outbox key of its root post.
      CREATE TABLE alert_threads (
        room TEXT NOT NULL,
        group_key TEXT NOT NULL,
        root_key TEXT NOT NULL,
        in_digest INTEGER NOT NULL DEFAULT 0,
        -- Who pressed Acknowledge, shown on the root post.
        acked_by TEXT,
        acked_at TEXT,
        -- The last silence made from the thread's button, shown on the root while it lasts.
        silenced_until TEXT,
        silenced_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (room, group_key)
      );
      CREATE INDEX alert_threads_recent ON alert_threads (room, created_at);
      -- Non-critical notifications held in a room's quiet hours: the newest per group, posted
      -- when the quiet hours end.
      CREATE TABLE alert_held (
        room TEXT NOT NULL,
        group_key TEXT NOT NULL,
        batch_id INTEGER NOT NULL,
        held_at TEXT NOT NULL,
        PRIMARY KEY (room, group_key)
      );
    `,
  },
  {
    version: 8,
    name: 'matrix',
    sql: `
      -- The Matrix client's sync state: the since token and the accumulated room state it
      -- belongs to (matrix-js-sdk's SyncAccumulator), so a restart resumes from the token
      -- and old commands are not seen again.
      CREATE TABLE matrix_sync (
        user_id TEXT PRIMARY KEY,
        next_batch TEXT NOT NULL,
        data TEXT NOT NULL,
        saved_at TEXT NOT NULL
      );
      -- Events taken as commands or reactions: each is handled once, even when a sync whose
      -- token was not saved yet is received again after a crash.
      CREATE TABLE matrix_seen (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        origin_ts INTEGER NOT NULL,
        seen_at TEXT NOT NULL
      );
      -- Rooms the bot joined: whether it is a direct chat (known from the invitation), and
      -- when the bot last said it cannot read the room's encrypted messages.
      CREATE TABLE matrix_rooms (
        room_id TEXT PRIMARY KEY,
        direct INTEGER NOT NULL DEFAULT 0,
        encrypted_notice_at TEXT
      );
      -- Confirmation prompts the bot posted (the outbox key of the message), edited to show
      -- who decided once the confirmation is no longer pending.
      CREATE TABLE matrix_prompts (
        prompt_key TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        code TEXT NOT NULL,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_at TEXT
      );
      CREATE INDEX matrix_prompts_open ON matrix_prompts (room_id) WHERE closed_at IS NULL;
      -- The end-to-end encryption store (device keys, Olm and Megolm sessions), copied out of
      -- the in-memory IndexedDB after every sync; its values are encrypted by the crypto
      -- store with the configured passphrase.
      CREATE TABLE matrix_crypto (
        -- user id and device id: a new device starts with new keys
        account TEXT PRIMARY KEY,
        snapshot BLOB NOT NULL,
        saved_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'backup completeness',
    sql: `
      -- A manifest is recorded when its source is done; the snapshot counts as a good backup
      -- only once every source of its job is stored whole (complete = 1, set in one
      -- transaction with the run's state). Manifests recorded before this migration count as
      -- complete: an older bot recorded one only after the engine had stored the whole
      -- stream.
      ALTER TABLE backup_manifests ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
      -- Every backup run (a backup job, or the safety backup of a restore), recorded before
      -- the engine stores anything: a run still 'running' whose job is gone was cut short,
      -- and what it left in the repository (found by its job tag) is forgotten at the next
      -- start. state: running, complete, discarded (its snapshots forgotten), left (they
      -- could not be forgotten yet).
      CREATE TABLE backup_runs (
        job TEXT PRIMARY KEY,
        job_id INTEGER,
        service TEXT NOT NULL,
        state TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        detail TEXT
      );
      CREATE INDEX backup_runs_open ON backup_runs (state) WHERE state IN ('running', 'left');
    `,
  },
  {
    version: 10,
    name: 'metrics indexes',
    sql: `
      -- /metrics counts jobs by state and outbox items by room and state at every scrape:
      -- with these the counts read the indexes, not every row (bench/metrics.ts).
      CREATE INDEX jobs_state ON jobs (state);
      CREATE INDEX outbox_room_state ON outbox (room, state);
    `,
  },
  {
    version: 11,
    name: 'outbox failures count',
    sql: `
      -- How many outbox items each messenger (the room id's prefix) gave up on, ever: the
      -- counter /metrics serves as pes_outbox_failures_total. Failed rows themselves stay
      -- (retention keeps them), so their number cannot tell a new failure from an old one.
      -- Kept by a trigger so that every way an item becomes failed is counted once.
      CREATE TABLE outbox_failures (
        messenger TEXT PRIMARY KEY,
        n INTEGER NOT NULL
      );
      CREATE TRIGGER outbox_failed AFTER UPDATE OF state ON outbox
        WHEN NEW.state = 'failed' AND OLD.state IS NOT 'failed'
      BEGIN
        INSERT INTO outbox_failures (messenger, n)
          VALUES (substr(NEW.room, 1, instr(NEW.room, ':') - 1), 1)
          ON CONFLICT (messenger) DO UPDATE SET n = n + 1;
      END;
    `,
  },
  {
    version: 12,
    name: 'backup manifest kind',
    sql: `
      -- A volume's snapshot is either one tar stream (the older way) or the volume's files,
      -- read by the engine itself (src/backup/run-backup.ts). A file-level manifest holds a
      -- digest of the file list in sha256 and, in samples, the digests of a few files, as
      -- JSON, which a restore drill compares (src/backup/tree-walk.ts).
      ALTER TABLE backup_manifests ADD COLUMN kind TEXT NOT NULL DEFAULT 'stream';
      ALTER TABLE backup_manifests ADD COLUMN samples TEXT;
    `,
  },
  {
    version: 13,
    name: 'plugin requests and approvals',
    sql: `
      -- What the Moodle plugins directory last answered, per question, so that an outage of
      -- the directory does not stop requests (src/plugins/directory.ts).
      CREATE TABLE plugin_directory_cache (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        fetched_at TEXT NOT NULL
      );
      -- Approvals (src/core/approvals.ts): N of the members of some roles, never the
      -- requester, before a deadline. One vote per person.
      CREATE TABLE approvals (
        id INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        card_room TEXT NOT NULL,
        needed INTEGER NOT NULL,
        roles TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        remind_at TEXT,
        reminded_at TEXT,
        told_at TEXT,
        closed_at TEXT
      );
      CREATE INDEX approvals_subject ON approvals (subject);
      CREATE INDEX approvals_state ON approvals (state, expires_at);
      CREATE TABLE approval_votes (
        approval INTEGER NOT NULL REFERENCES approvals (id),
        actor TEXT NOT NULL,
        verdict TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (approval, actor)
      );
      -- Plugin requests: one open request per plugin; another teacher asking for it is a
      -- supporter of that request (a +1), not a second request.
      CREATE TABLE plugin_requests (
        id INTEGER PRIMARY KEY,
        component TEXT NOT NULL,
        name TEXT NOT NULL,
        facts TEXT NOT NULL,
        state TEXT NOT NULL,
        approval INTEGER REFERENCES approvals (id),
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX plugin_requests_open ON plugin_requests (component)
        WHERE state IN ('pending', 'approved');
      CREATE TABLE plugin_request_supporters (
        request INTEGER NOT NULL REFERENCES plugin_requests (id),
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        locale TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (request, actor)
      );
    `,
  },
  {
    version: 14,
    name: 'backup ledger indexes for metrics',
    sql: `
      -- /metrics reads, at every scrape, the newest complete backup of each source, when the
      -- source before it in the same run ended, and each source's last passed and failed
      -- drill (src/metrics/backup-gauges.ts). Without these the second look scanned the
      -- whole ledger once per source (bench/metrics.ts: 11 ms of a 12 ms scrape); with them
      -- each is a walk of a small covering index or one seek.
      CREATE INDEX backup_manifests_job ON backup_manifests (job, created_at);
      CREATE INDEX backup_manifests_last
        ON backup_manifests (service, source, created_at, bytes, job) WHERE complete = 1;
      CREATE INDEX backup_manifests_drill
        ON backup_manifests (service, source, verify_ok, verified_at) WHERE verified_at IS NOT NULL;
    `,
  },
  {
    version: 15,
    name: 'job counts by state',
    sql: `
      -- How many jobs are in each state, read by /metrics at every scrape (pes_jobs). Counting
      -- them walks every finished job kept (retention keeps months of them); this table is
      -- kept by triggers, so every writer (pes serve, a terminal pes, retention) keeps it
      -- right, and a scrape reads a handful of rows.
      CREATE TABLE job_counts (
        state TEXT PRIMARY KEY,
        n INTEGER NOT NULL
      );
      INSERT INTO job_counts (state, n) SELECT state, count(*) FROM jobs GROUP BY state;
      CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
      BEGIN
        INSERT INTO job_counts (state, n) VALUES (NEW.state, 1)
          ON CONFLICT (state) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER job_counts_update AFTER UPDATE OF state ON jobs
        WHEN NEW.state IS NOT OLD.state
      BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        INSERT INTO job_counts (state, n) VALUES (NEW.state, 1)
          ON CONFLICT (state) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
      BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
      END;
    `,
  },
  {
    version: 16,
    name: 'approved commands used once',
    sql: `
      -- An approved command (src/core/approval-flow.ts) runs once: used_at is set when it
      -- runs, and a second run of the same approval is refused. Its own confirmation carries
      -- the approval to the run that follows it.
      ALTER TABLE approvals ADD COLUMN used_at TEXT;
      ALTER TABLE confirmations ADD COLUMN approval INTEGER REFERENCES approvals (id);
    `,
  },
  {
    version: 17,
    name: 'plugin job journal',
    sql: `
      -- What a plugin-install or plugin-remove job has changed on the Moodle site so far
      -- (src/plugins/install/journal.ts), so that the next start after the bot died under it
      -- can put back what is safe to put back. One row per running job, deleted at its end.
      CREATE TABLE plugin_jobs_journal (
        job_id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        component TEXT NOT NULL,
        target_dir TEXT NOT NULL,
        aside_dir TEXT,
        created_folder INTEGER NOT NULL DEFAULT 0,
        maintenance_on INTEGER NOT NULL DEFAULT 0,
        upgrade_started INTEGER NOT NULL DEFAULT 0,
        backup_snapshot TEXT,
        updated_at TEXT NOT NULL
      );
    `,
  },
];

interface UserVersionRow {
  readonly user_version: number;
}

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as UserVersionRow | undefined;
  return row?.user_version ?? 0;
}

/**
 * Applies the migrations the database does not have yet, each in its own transaction, and
 * returns the resulting version. The version is re-read inside each transaction because
 * another process may be migrating the same file at the same moment.
 */
export function migrate(db: DatabaseSync, list: readonly Migration[] = migrations): number {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration ${migration.name} has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
  const latest = list.length;
  if (schemaVersion(db) > latest) {
    // Written by a newer bot: running older code on it could corrupt data it does not know.
    throw new Error(
      `the state database has schema version ${schemaVersion(db)}, newer than this bot knows (${latest})`,
    );
  }
  for (const migration of list) {
    immediate(db, () => {
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      // user_version lives in the database header and is part of this transaction.
      db.exec(`PRAGMA user_version = ${migration.version}`);
    });
  }
  return schemaVersion(db);
}
