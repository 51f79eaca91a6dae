/**
 * A read shared by the gauges of one scrape. prom-client collects a registry's metrics in
 * the order they were registered, so the first gauge of a group reads anew (`fresh`) and the
 * ones registered after it reuse that read (`last`). With a change stamp, `fresh` runs the
 * read again only when the database may have changed since the last one: the figures are
 * the same as a new read would give, without its cost while nothing is written.
 */
import type { ChangeStamp } from './change-stamp.ts';

export interface SharedRead<T> {
  fresh(): T;
  last(): T;
}

export function sharedRead<T>(read: () => T, stamp?: ChangeStamp): SharedRead<T> {
  let cached: { value: T; stamp: string | undefined } | undefined;
  const fresh = (): T => {
    const now = stamp?.();
    if (cached !== undefined && now !== undefined && cached.stamp === now) return cached.value;
    // The stamp is taken before the read: a write between the two moves it again, so the
    // next scrape reads anew.
    cached = { value: read(), stamp: now };
    return cached.value;
  };
  return {
    fresh,
    last: () => (cached === undefined ? fresh() : cached.value),
  };
}
