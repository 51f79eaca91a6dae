/**
 * A read shared by the gauges of one scrape. prom-client collects a registry's metrics in
 * the order they were registered, so the first gauge of a group reads anew (`fresh`) and the
 * ones registered after it reuse that read (`last`).
 */
export interface SharedRead<T> {
  fresh(): T;
  last(): T;
}

export function sharedRead<T>(read: () => T): SharedRead<T> {
  let cached: { value: T } | undefined;
  return {
    fresh: () => (cached = { value: read() }).value,
    last: () => (cached ?? (cached = { value: read() })).value,
  };
}
