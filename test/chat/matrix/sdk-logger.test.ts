/**
 * matrix-js-sdk's module-level logger (matrix-js-sdk/lib/logger) and the child loggers made
 * from it write to the bot's log at debug level once a client is made, never to the console.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger as sdkRootLogger } from 'matrix-js-sdk/lib/logger.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMatrixClient } from '../../../src/chat/matrix/client.ts';
import { SqliteSyncStore } from '../../../src/chat/matrix/sync-store.ts';
import { createLogger, makeRedactor } from '../../../src/core/logger.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { SqliteMatrixState } from '../../../src/store/matrix-repo.ts';

const dir = mkdtempSync(join(tmpdir(), 'pes-mx-log-'));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the SDK logger', () => {
  it('goes to the bot log at debug level, redacted, and not to the console', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'debug',
      redact: makeRedactor(['syt_secret_token_1']),
      write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const db = openDatabase(join(dir, 'pes.db'));
    const consoleCalls = (['log', 'info', 'debug', 'warn', 'error', 'trace'] as const).map(
      (method) => vi.spyOn(console, method).mockImplementation(() => undefined),
    );
    try {
      createMatrixClient(
        {
          homeserverUrl: 'http://127.0.0.1:9',
          userId: '@pes:pes.test',
          accessToken: 'syt_secret_token_1',
          deviceId: 'PESDEVICE',
          allowedInviters: [],
          allowedRooms: [],
          rooms: [],
        },
        new SqliteSyncStore(new SqliteMatrixState(db), '@pes:pes.test'),
        log,
      );
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- what some SDK modules still use
      const root = sdkRootLogger;
      root.warn('sync failed with token', 'syt_secret_token_1');
      root.getChild('[Crypto]').error('backup key missing');
      expect(lines.map((l) => [l['level'], l['msg'], l['sdk']])).toEqual([
        ['debug', 'matrix-sdk', 'sync failed with token [redacted]'],
        ['debug', 'matrix-sdk[Crypto]', 'backup key missing'],
      ]);
      for (const call of consoleCalls) expect(call).not.toHaveBeenCalled();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
