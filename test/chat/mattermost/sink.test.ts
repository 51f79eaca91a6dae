/** Progress in one post: created on the first update, edited at most every 2 s, then replaced by the result. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MattermostOutbox } from '../../../src/chat/mattermost/outbox-writer.ts';
import { renderMessage } from '../../../src/chat/mattermost/render.ts';
import { MattermostSink } from '../../../src/chat/mattermost/sink.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { SqliteOutboxStore } from '../../../src/store/outbox-repo.ts';

const channel = 'c'.repeat(26);

function setup(direct = false) {
  const store = new SqliteOutboxStore(openDatabase(':memory:'));
  const sink = new MattermostSink({
    outbox: new MattermostOutbox(store, () => undefined),
    target: { channelId: channel, root: 'r'.repeat(26), userId: 'u'.repeat(26), direct },
    key: 'k',
    locale: 'en',
    render: (message) => renderMessage(message, 'en'),
  });
  return { store, sink };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MattermostSink', () => {
  it('posts progress once, then edits it at most every 2 s, then replaces it with the result', () => {
    const { store, sink } = setup();
    sink.progress({ jobId: 1, fraction: 0.1, text: 'a' });
    expect(store.byKey('job:1:progress')?.kind).toBe('post');
    sink.progress({ jobId: 1, fraction: 0.2, text: 'b' });
    sink.progress({ jobId: 1, fraction: 0.3, text: 'c' });
    expect(store.byKey('k:progress:1')).toBeUndefined();
    vi.advanceTimersByTime(2000);
    const edit = store.byKey('k:progress:1');
    expect(edit?.kind).toBe('patch');
    expect(edit?.targetKey).toBe('job:1:progress');
    expect(edit?.payload).toContain('30 %');
    sink.progress({ jobId: 1, fraction: 0.4, text: 'd' });
    vi.advanceTimersByTime(1000);
    expect(store.byKey('k:progress:2')).toBeUndefined();
    sink.finish({ status: 'ok', exitCode: 0, message: { severity: 'success', text: 'done' } });
    vi.advanceTimersByTime(5000);
    expect(store.byKey('k:progress:2')).toBeUndefined();
    const result = store.byKey('k:result');
    expect(result?.kind).toBe('patch');
    expect(result?.targetKey).toBe('job:1:progress');
    expect(result?.payload).toContain('done');
    expect(sink.usedOutbox).toBe(true);
  });

  it('answers privately a refusal in a channel, and in the open in a direct message', () => {
    const refusal = {
      status: 'denied' as const,
      exitCode: 3,
      message: { severity: 'warning' as const, text: 'no' },
    };
    const inChannel = setup(false);
    inChannel.sink.finish(refusal);
    expect(inChannel.store.byKey('k:result')?.kind).toBe('ephemeral');
    const direct = setup(true);
    direct.sink.finish(refusal);
    expect(direct.store.byKey('k:result')?.kind).toBe('post');
  });

  it('logs a delayed progress edit it cannot write (the database closed at a stop), and does not throw', () => {
    const db = openDatabase(':memory:');
    const lines: string[] = [];
    const sink = new MattermostSink({
      outbox: new MattermostOutbox(new SqliteOutboxStore(db), () => undefined),
      target: { channelId: channel, root: 'r'.repeat(26), userId: 'u'.repeat(26), direct: false },
      key: 'k',
      locale: 'en',
      render: (message) => renderMessage(message, 'en'),
      log: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    sink.progress({ jobId: 1, fraction: 0.1, text: 'a' });
    sink.progress({ jobId: 1, fraction: 0.2, text: 'b' });
    db.close();
    expect(() => vi.advanceTimersByTime(2000)).not.toThrow();
    expect(lines.join('\n')).toMatch(/progress edit not written.*database is not open/);
  });

  it('sends nothing once closed', () => {
    const { store, sink } = setup();
    sink.close();
    sink.reply({ severity: 'info', text: 'late' });
    sink.progress({ jobId: 1, fraction: 0.5, text: 'x' });
    sink.finish({ status: 'ok', exitCode: 0, message: { severity: 'info', text: 'x' } });
    expect(store.due('mattermost:', new Date(Date.now() + 1000), 10)).toEqual([]);
    expect(sink.usedOutbox).toBe(false);
  });
});
