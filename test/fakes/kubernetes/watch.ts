/**
 * Watch requests (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes ,
 * #watch-bookmarks, #410-gone-responses): `?watch=1&resourceVersion=…&allowWatchBookmarks=true&timeoutSeconds=…`
 * answers a stream of JSON events {type, object}, one per line. No resourceVersion (or "0")
 * starts with ADDED for every object there is; a resourceVersion starts after it; one that
 * compaction removed gets an ERROR event holding a 410 Expired Status, as the watch cache
 * sends it. BOOKMARK events carry only the kind and a resourceVersion.
 */
import type { ServerResponse } from 'node:http';
import { at, str, type JsonObject } from './json.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { ApiError, badRequest } from './status.ts';
import type { ObjectStore, StoreEvent } from './store.ts';

export interface WatchOptions {
  readonly resource: ResourceType;
  readonly namespace: string | undefined;
  readonly matches: (o: JsonObject) => boolean;
  readonly resourceVersion: string;
  readonly bookmarks: boolean;
  readonly bookmarkIntervalMs: number;
  readonly timeoutMs: number;
}

/**
 * The event a filtered watch sends for a change (the watch cache's filtering): an object
 * that starts to match is ADDED, one that stops matching is DELETED, others are skipped.
 */
function eventFor(e: StoreEvent, w: WatchOptions): string | undefined {
  if (e.resource !== w.resource) return undefined;
  if (w.namespace !== undefined && at(e.object, 'metadata', 'namespace') !== w.namespace) {
    return undefined;
  }
  const now = w.matches(e.object);
  if (e.type !== 'MODIFIED' || e.previous === undefined) return now ? e.type : undefined;
  const before = w.matches(e.previous);
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  return before ? 'DELETED' : undefined;
}

/** Streams a watch; returns a function that cuts it (a dropped connection). */
export function serveWatch(res: ServerResponse, store: ObjectStore, w: WatchOptions): () => void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  const send = (type: string, object: JsonObject): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  let rv: number | undefined;
  if (w.resourceVersion !== '' && w.resourceVersion !== '0') {
    rv = Number(w.resourceVersion);
    if (!Number.isInteger(rv)) throw badRequest(`invalid resource version: ${w.resourceVersion}`);
  }
  const cleanups: (() => void)[] = [];
  const end = (): void => {
    for (const c of cleanups.splice(0)) c();
    if (!res.writableEnded) res.end();
  };
  if (rv === undefined) {
    for (const o of store.list(w.resource, w.namespace)) if (w.matches(o)) send('ADDED', o);
  } else {
    const past = store.eventsAfter(rv);
    if (past === 'expired') {
      const err = store.expiredError(rv);
      send('ERROR', err instanceof ApiError ? err.toStatus() : { message: err.message });
      end();
      return end;
    }
    for (const e of past) {
      const type = eventFor(e, w);
      if (type !== undefined) send(type, e.object);
    }
  }
  cleanups.push(
    store.subscribe((e) => {
      const type = eventFor(e, w);
      if (type !== undefined) send(type, e.object);
    }),
  );
  if (w.bookmarks) {
    const timer = setInterval(() => {
      const version = String(store.resourceVersion);
      send('BOOKMARK', {
        kind: w.resource.kind,
        apiVersion: apiVersionOf(w.resource),
        metadata: {
          resourceVersion: version,
          annotations: { 'k8s.io/initial-events-end': 'false' },
        },
      });
    }, w.bookmarkIntervalMs);
    cleanups.push(() => clearInterval(timer));
  }
  const timeout = setTimeout(end, w.timeoutMs);
  cleanups.push(() => clearTimeout(timeout));
  res.on('close', end);
  return end;
}

export function objectName(o: JsonObject): string {
  return str(at(o, 'metadata', 'name')) ?? '';
}
