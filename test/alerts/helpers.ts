/** A receiver on 127.0.0.1 with a real SQLite inbox, for the receiver and delivery tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { AlertCounters } from '../../src/alerts/counters.ts';
import type { AlertInbox } from '../../src/alerts/inbox.ts';
import { createLogger } from '../../src/core/logger.ts';
import { alertmanagerRoutes } from '../../src/server/alertmanager-routes.ts';
import { startHttpServer } from '../../src/server/http.ts';
import { SqliteAlertInbox } from '../../src/store/alerts-repo.ts';
import { openDatabase } from '../../src/store/database.ts';

export const token = 'alert-token-for-tests-0123456789';

export interface Receiver {
  readonly url: string;
  readonly db: DatabaseSync;
  readonly counters: AlertCounters;
  readonly logs: string[];
  send(body: string | Buffer, auth?: string): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export async function startReceiver(
  options: { inbox?: (db: DatabaseSync) => AlertInbox; maxBodyBytes?: number } = {},
): Promise<Receiver> {
  const dir = mkdtempSync(join(tmpdir(), 'pes-alerts-'));
  const db = openDatabase(join(dir, 'pes.db'));
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const counters = new AlertCounters();
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    readiness: { check: () => Promise.resolve({}) },
    onError: (error) => log.error('http', { error }),
    routes: alertmanagerRoutes('/alertmanager', {
      credentials: { kind: 'bearer', token },
      maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
      inbox: options.inbox?.(db) ?? new SqliteAlertInbox(db),
      counters,
      log,
    }),
  });
  const url = `http://127.0.0.1:${http.port}/alertmanager`;
  return {
    url,
    db,
    counters,
    logs,
    async send(body, auth = `Bearer ${token}`) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      await http.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
