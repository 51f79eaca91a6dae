import { describe, expect, it } from 'vitest';
import type { ObjectMeta } from '../../../src/platforms/kubernetes/objects.ts';
import {
  waitFor,
  type Listed,
  type WatchEvent,
  type WatchSource,
} from '../../../src/platforms/kubernetes/watch.ts';

interface Obj {
  readonly metadata: ObjectMeta;
  readonly ready: boolean;
}

function obj(name: string, rv: string, ready: boolean): Obj {
  return { metadata: { name, namespace: 'lms', resourceVersion: rv }, ready };
}

/** What one watch call does: send these events, then end this way. */
interface WatchStep {
  readonly events: readonly WatchEvent<Obj>[];
  readonly end: 'close' | 'hang' | Error;
}

/** An API error as client-node 2.x throws it: a code and the Status text as the body. */
function apiError(code: number, reason: string): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), {
    code,
    body: JSON.stringify({ kind: 'Status', code, reason, message: reason }),
  });
}

function connectionReset(): Error {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }),
  });
}

class ScriptedSource implements WatchSource<Obj> {
  readonly lists: Listed<Obj>[];
  readonly steps: WatchStep[];
  readonly listCalls: number[] = [];
  readonly watchedFrom: string[] = [];
  /** Whether every watch that was told to stop did stop. */
  openWatches = 0;

  constructor(lists: Listed<Obj>[], steps: WatchStep[]) {
    this.lists = lists;
    this.steps = steps;
  }

  list(): Promise<Listed<Obj>> {
    this.listCalls.push(this.listCalls.length);
    const next = this.lists.shift();
    return next === undefined
      ? Promise.reject(new Error('no more lists scripted'))
      : Promise.resolve(next);
  }

  async watch(
    resourceVersion: string,
    onEvent: (e: WatchEvent<Obj>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.watchedFrom.push(resourceVersion);
    const step = this.steps.shift() ?? { events: [], end: 'hang' };
    this.openWatches += 1;
    try {
      for (const event of step.events) {
        await Promise.resolve();
        if (signal.aborted) throw signal.reason;
        onEvent(event);
      }
      if (step.end === 'close') return;
      if (step.end instanceof Error) throw step.end;
      // Like a real stream: it ends only when the request is aborted.
      await new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason as Error);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    } finally {
      this.openWatches -= 1;
    }
  }
}

const allReady = (objects: readonly Obj[]): string | undefined =>
  objects.length > 0 && objects.every((o) => o.ready)
    ? objects.map((o) => o.metadata.resourceVersion).join(',')
    : undefined;

const options = { timeoutMs: 10_000, retryDelayMs: 1 };

describe('waiting with list and watch', () => {
  it('answers from the list when it already holds', async () => {
    const source = new ScriptedSource([{ items: [obj('a', '5', true)], resourceVersion: '5' }], []);
    expect(await waitFor(source, allReady, options)).toEqual({ done: true, value: '5' });
    expect(source.watchedFrom).toEqual([]);
  });

  it('follows changes from the list’s version and stops its watch once satisfied', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', false), obj('b', '5', true)], resourceVersion: '7' }],
      [
        {
          events: [
            { type: 'MODIFIED', object: obj('a', '8', false) },
            { type: 'MODIFIED', object: obj('a', '9', true) },
          ],
          end: 'hang',
        },
      ],
    );
    expect(await waitFor(source, allReady, options)).toEqual({ done: true, value: '9,5' });
    expect(source.watchedFrom).toEqual(['7']);
    expect(source.openWatches).toBe(0);
  });

  it('reopens a watch the server ended from the last version seen, bookmarks included', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', false)], resourceVersion: '5' }],
      [
        {
          events: [
            { type: 'MODIFIED', object: obj('a', '6', false) },
            { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } },
          ],
          end: 'close',
        },
        { events: [{ type: 'MODIFIED', object: obj('a', '13', true) }], end: 'hang' },
      ],
    );
    expect(await waitFor(source, allReady, options)).toEqual({ done: true, value: '13' });
    expect(source.watchedFrom).toEqual(['5', '12']);
    expect(source.listCalls).toHaveLength(1);
  });

  it('lists again after 410 Gone, as an ERROR event or as the answer', async () => {
    const source = new ScriptedSource(
      [
        { items: [obj('a', '5', false), obj('gone', '5', false)], resourceVersion: '5' },
        { items: [obj('a', '40', false)], resourceVersion: '41' },
        { items: [obj('a', '50', false)], resourceVersion: '51' },
      ],
      [
        {
          events: [
            {
              type: 'ERROR',
              object: {
                kind: 'Status',
                code: 410,
                reason: 'Expired',
                message: 'too old resource version: 5 (30)',
              },
            },
          ],
          end: 'hang',
        },
        { events: [], end: apiError(410, 'Gone') },
        { events: [{ type: 'MODIFIED', object: obj('a', '52', true) }], end: 'hang' },
      ],
    );
    // `gone` was deleted while the watch was down: the relist forgets it.
    expect(await waitFor(source, allReady, options)).toEqual({ done: true, value: '52' });
    expect(source.listCalls).toHaveLength(3);
    expect(source.watchedFrom).toEqual(['5', '41', '51']);
  });

  it('forgets deleted objects', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', true), obj('b', '5', false)], resourceVersion: '5' }],
      [{ events: [{ type: 'DELETED', object: obj('b', '6', false) }], end: 'hang' }],
    );
    expect(await waitFor(source, allReady, options)).toEqual({ done: true, value: '5' });
  });

  it('reconnects after a dropped connection or a server error, from the same version', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', false)], resourceVersion: '5' }],
      [
        { events: [{ type: 'MODIFIED', object: obj('a', '6', false) }], end: connectionReset() },
        { events: [], end: apiError(503, 'ServiceUnavailable') },
        {
          events: [{ type: 'ERROR', object: { kind: 'Status', code: 500, message: 'internal' } }],
          end: 'hang',
        },
        { events: [{ type: 'MODIFIED', object: obj('a', '7', true) }], end: 'hang' },
      ],
    );
    expect(await waitFor(source, allReady, options)).toEqual({ done: true, value: '7' });
    expect(source.watchedFrom).toEqual(['5', '6', '6', '6']);
    expect(source.listCalls).toHaveLength(1);
  });

  it('gives up at once on an error that will not pass (403)', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', false)], resourceVersion: '5' }],
      [{ events: [], end: apiError(403, 'Forbidden') }],
    );
    await expect(waitFor(source, allReady, options)).rejects.toMatchObject({ code: 403 });
  });

  it('says "not done" when the deadline passes', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', false)], resourceVersion: '5' }],
      [{ events: [], end: 'hang' }],
    );
    expect(await waitFor(source, allReady, { timeoutMs: 50 })).toEqual({ done: false });
    expect(source.openWatches).toBe(0);
  });

  it('rejects when cancelled', async () => {
    const source = new ScriptedSource(
      [{ items: [obj('a', '5', false)], resourceVersion: '5' }],
      [{ events: [], end: 'hang' }],
    );
    const cancel = new AbortController();
    const waiting = waitFor(source, allReady, { ...options, signal: cancel.signal });
    cancel.abort(new Error('cancelled by the person'));
    await expect(waiting).rejects.toThrow('cancelled by the person');
  });
});

describe('a server that ends every watch at once', () => {
  /** Lists an empty set; every watch ends at once, closed or with a 410. */
  function churning(end: 'close' | 'gone'): WatchSource<Obj> & { lists: number; watches: number } {
    return {
      lists: 0,
      watches: 0,
      list() {
        this.lists += 1;
        return Promise.resolve({ items: [], resourceVersion: '5' });
      },
      async watch() {
        this.watches += 1;
        // A round trip to the server: other timers (the deadline) get their turn.
        await new Promise((resolve) => setImmediate(resolve));
        if (end === 'gone') throw apiError(410, 'Expired');
      },
    };
  }

  // 1 s with a 50 ms base pause: 50 + 100 + 200 + 400 + 400 … allows a handful of requests;
  // with no pause it would be thousands.
  it('pauses between watches that bring no event', async () => {
    const source = churning('close');
    const result = await waitFor(source, () => undefined, { timeoutMs: 1000, retryDelayMs: 50 });
    expect(result).toEqual({ done: false });
    expect(source.watches).toBeGreaterThanOrEqual(2);
    expect(source.watches).toBeLessThanOrEqual(10);
  });

  it('pauses between 410s that follow one another', async () => {
    const source = churning('gone');
    const result = await waitFor(source, () => undefined, { timeoutMs: 1000, retryDelayMs: 50 });
    expect(result).toEqual({ done: false });
    expect(source.lists).toBeGreaterThanOrEqual(2);
    expect(source.lists).toBeLessThanOrEqual(10);
  });
});
