/**
 * A read shared by the gauges of one scrape: prom-client collects every metric of a scrape
 * in the same turn of the event loop, so the first gauge reads and the others reuse it; the
 * next scrape reads anew.
 */
export function oncePerScrape<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    if (cached === undefined) {
      cached = { value: read() };
      setImmediate(() => (cached = undefined));
    }
    return cached.value;
  };
}
