/** Progress as one message: posted once, edited at most once per interval, newest update wins. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProgressUpdate } from '../../src/core/invocation.ts';
import { ProgressThrottle, progressMessage } from '../../src/chat/progress-throttle.ts';

function setup() {
  const writes: string[] = [];
  const show = (u: ProgressUpdate): string => `${u.fraction}:${u.text}`;
  const throttle = new ProgressThrottle({
    key: 'k',
    intervalMs: 1000,
    writer: {
      post: (progressKey, u) => writes.push(`post ${progressKey} ${show(u)}`),
      edit: (editKey, progressKey, u) => writes.push(`edit ${editKey}>${progressKey} ${show(u)}`),
    },
  });
  return { throttle, writes };
}

const at = (fraction: number, text: string): ProgressUpdate => ({ jobId: 1, fraction, text });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressThrottle', () => {
  it('posts on the first update, then sends only the newest update once per interval', () => {
    const { throttle, writes } = setup();
    expect(throttle.progressKey).toBeUndefined();
    throttle.update(at(0.1, 'a'));
    // The post is the job's (found again after a crash), the edits the invocation's.
    expect(throttle.progressKey).toBe('job:1:progress');
    throttle.update(at(0.2, 'b'));
    throttle.update(at(0.3, 'c'));
    expect(writes).toEqual(['post job:1:progress 0.1:a']);
    vi.advanceTimersByTime(999);
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(['post job:1:progress 0.1:a', 'edit k:progress:1>job:1:progress 0.3:c']);
    expect(throttle.nextEditAt).toBe(Date.now() + 1000);
  });

  it('edits at once when the interval has already passed', () => {
    const { throttle, writes } = setup();
    throttle.update(at(0.1, 'a'));
    vi.advanceTimersByTime(5000);
    throttle.update(at(0.5, 'b'));
    expect(writes).toEqual(['post job:1:progress 0.1:a', 'edit k:progress:1>job:1:progress 0.5:b']);
  });

  it('drops a waiting update and ignores later ones once closed', () => {
    const { throttle, writes } = setup();
    throttle.update(at(0.1, 'a'));
    throttle.update(at(0.2, 'b'));
    throttle.close();
    vi.advanceTimersByTime(5000);
    throttle.update(at(0.9, 'c'));
    expect(writes).toEqual(['post job:1:progress 0.1:a']);
  });
});

describe('ProgressThrottle, a delayed edit that cannot be written', () => {
  it('is handed to onError, never thrown from its timer, and later updates still go out', () => {
    const errors: unknown[] = [];
    const writes: string[] = [];
    let failing = true;
    const throttle = new ProgressThrottle({
      key: 'k',
      intervalMs: 1000,
      onError: (error) => errors.push(error),
      writer: {
        post: (progressKey) => writes.push(`post ${progressKey}`),
        edit: (editKey) => {
          if (failing) throw new Error('database is not open');
          writes.push(`edit ${editKey}`);
        },
      },
    });
    throttle.update(at(0.1, 'a'));
    throttle.update(at(0.2, 'b'));
    expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
    expect(errors).toEqual([new Error('database is not open')]);
    failing = false;
    throttle.update(at(0.3, 'c'));
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual(['post job:1:progress', 'edit k:progress:2']);
  });
});

describe('progressMessage', () => {
  it('says the job, whole percent and the note, in the locale', () => {
    const update = { jobId: 7, fraction: 0.426, text: 'copying' };
    expect(progressMessage(update, 'en')).toEqual({
      severity: 'info',
      text: '⏳ Job 7: 43 % — copying',
    });
    expect(progressMessage(update, 'ru').text).toBe('⏳ Задача 7: 43 % — copying');
  });
});
