/**
 * Histogram buckets for commands and jobs, in seconds: a status answers in milliseconds, a
 * backup or restore of a large service takes up to an hour, so the buckets span both.
 */
export const durationBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600,
];
