/**
 * What every fuzz target shares: how many cases (PES_FUZZ_RUNS, 10,000 by default; `npm run
 * fuzz` runs 100,000), the seed (PES_FUZZ_SEED, else a random one) and the shrunk path of a
 * failure (PES_FUZZ_PATH), a failure message that says how to replay it, and a watch on
 * unhandled rejections while the cases run.
 */
import { relative } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { expect } from 'vitest';
import { errorTexts, type ErrorCode } from '../../src/core/error-texts.ts';

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${raw}`);
  return value;
}

export const fuzzRuns = envInt('PES_FUZZ_RUNS') ?? 10_000;
const fixedSeed = envInt('PES_FUZZ_SEED');
const replayPath = process.env['PES_FUZZ_PATH'];

/** A test timeout that grows with the number of cases (`msPerCase` measured with margin). */
export function fuzzTimeout(msPerCase: number, runs = fuzzRuns): number {
  return Math.max(60_000, Math.ceil(runs * msPerCase));
}

/** Every stable error code a person can be shown (src/core/error-texts). */
export const documentedCodes: ReadonlySet<string> = new Set(Object.keys(errorTexts));

export function isDocumentedCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && documentedCodes.has(code);
}

/**
 * The highest row id of each table, to show that an input added no row. (Not count(*): it
 * reads the whole table, and 100,000 cases on a growing database made it the main cost.)
 */
export function lastRowIds(db: DatabaseSync, tables: readonly string[]): Record<string, number> {
  const ids: Record<string, number> = {};
  for (const table of tables) {
    const row = db.prepare(`SELECT coalesce(max(rowid), 0) AS n FROM ${table}`).get() as {
      n: number;
    };
    ids[table] = row.n;
  }
  return ids;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `property` for `runs` cases. Each case is followed by a turn of the event loop and
 * fails when a promise was rejected with nobody listening meanwhile. On failure the error
 * names the target, the counterexample and the command line that replays exactly it.
 */
export async function fuzz<T>(
  target: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void> | void,
  options: { runs?: number } = {},
): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  const seed = fixedSeed ?? (Math.random() * 2 ** 31) | 0;
  const runs = options.runs ?? fuzzRuns;
  try {
    const property = fc.asyncProperty(arbitrary, async (value) => {
      await check(value);
      await settle();
      if (unhandled.length > 0) {
        const reasons = unhandled.splice(0);
        throw new Error(`unhandled rejection: ${reasons.map(String).join('; ')}`);
      }
    });
    const details = await fc.check(property, {
      numRuns: runs,
      seed,
      // The report lists every failing value met while shrinking, the first one included.
      verbose: fc.VerbosityLevel.Verbose,
      ...(replayPath === undefined ? {} : { path: replayPath }),
    });
    if (details.failed) {
      const { testPath, currentTestName } = expect.getState();
      const file = testPath === undefined ? 'test/fuzz' : relative(process.cwd(), testPath);
      const replay =
        `PES_FUZZ_SEED=${details.seed} PES_FUZZ_PATH=${details.counterexamplePath ?? ''} ` +
        `npx vitest run ${file}` +
        (currentTestName === undefined ? '' : ` -t ${JSON.stringify(currentTestName)}`);
      throw new Error(
        `fuzz target "${target}" failed\n${fc.defaultReportMessage(details) ?? ''}\n` +
          `Replay this case: ${replay}\n` +
          // The cases share a server and a database: a failure that needs what earlier cases
          // left behind comes back with the seed alone (every case again, in order).
          `Replay the whole run: ${replay.replace(/ PES_FUZZ_PATH=\S*/, '')}`,
        { cause: details.errorInstance },
      );
    }
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}
