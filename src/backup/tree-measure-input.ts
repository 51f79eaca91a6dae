/**
 * What goes in and out of the tree measure run inside a helper container or a claim pod
 * (tree-measure-cli.ts): `node /app/src/backup/tree-measure-cli.ts <measure|compare> <root>`
 * reads ONE line of JSON on stdin (the walk's options, or the recorded figures to compare
 * with) and prints one line of JSON on stdout (the figures and samples; or the figures and,
 * for each sample sent, whether it is missing, differs or is the same). Both sides check what
 * they read strictly: a field that is missing, of another type or not known is refused.
 *
 * The bot trusts no text the helper or the pod sends back: a comparison comes back as figures
 * and outcomes, never as sentences, only for the very sample paths the bot sent, in their
 * order; the bot words the problems itself (tree-walk.ts `compareProblems`). The output of an
 * older entry point, whose problems were free text, is refused as such.
 *
 * Checked by hand, not with zod: the entry point runs from the image's sources as they are,
 * like the engine launcher, and imports only node's own modules and pure modules of
 * src/backup (zod would also cost each run some 0.1 s and 20 MB to load).
 */
import type { FileSample } from '../core/backup.ts';
import { launcherMissing } from './engine-launch-input.ts';
import {
  compareProblems,
  type SampleOutcome,
  type TreeFigures,
  type WalkOptions,
} from './tree-walk.ts';

/** Where the entry point is in the bot's image (the Dockerfile copies src/ to /app/src). */
export const treeMeasurePath = '/app/src/backup/tree-measure-cli.ts';

export const treeMeasureCommands = ['measure', 'compare'] as const;
export type TreeMeasureCommand = (typeof treeMeasureCommands)[number];

/** The input line's limit, newline included: ample for a few samples' paths. */
export const maxRequestBytes = 1024 * 1024;
/** The output line's limit: figures and a few samples. */
export const maxReplyBytes = 1024 * 1024;

/** The entry point's exit code when it refuses its arguments or input: nothing was read. */
export const treeMeasureRefusedExit = 2;

/** The argv that measures or compares the tree under `root`. */
export function treeMeasureArgv(command: TreeMeasureCommand, root: string): string[] {
  return ['node', treeMeasurePath, command, root];
}

/** What `measure` reads: tree-walk.ts `WalkOptions`, the time as epoch milliseconds. */
export interface MeasureRequest {
  readonly samplesBefore?: number;
  readonly maxSamples?: number;
  readonly maxSampleBytes?: number;
  readonly sampleBudgetBytes?: number;
  readonly skipRootLostFound?: boolean;
}

/** What `compare` reads: volume-access.ts `TreeExpectation` (`files` null: not recorded). */
export interface CompareRequest {
  readonly files: number | null;
  readonly bytes: number;
  readonly sha256: string;
  readonly samples?: readonly FileSample[];
  readonly skipRootLostFound?: boolean;
}

export interface MeasureReply {
  readonly figures: TreeFigures;
  readonly samples: readonly FileSample[];
}

/** What `compare` prints: the figures, and each sample's outcome in the order sent. */
export interface CompareReply {
  readonly figures: TreeFigures;
  readonly samples: readonly SampleOutcome[];
}

const outcomes: readonly SampleOutcome['outcome'][] = ['missing', 'differs', 'same'];

type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

class Refused extends Error {}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Refused(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The object's fields, refusing any not named in `required` or `optional`. */
function fields(
  value: unknown,
  what: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  const object = record(value, what);
  const unknown = Object.keys(object).filter((k) => !required.includes(k) && !optional.includes(k));
  if (unknown.length > 0) {
    // A name that is no plain word is not repeated.
    const names = unknown.map((k) => (/^[A-Za-z0-9_]{1,64}$/.test(k) ? k : '(not a name)'));
    throw new Refused(`${what}: fields not known: ${names.sort().join(', ')}`);
  }
  const missing = required.filter((k) => !(k in object));
  if (missing.length > 0) throw new Refused(`${what}: fields missing: ${missing.join(', ')}`);
  return object;
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Refused(`${name} is not a whole number ≥ 0`);
  }
  return value;
}

function optionalCount(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : count(value, name);
}

function digest(value: unknown, name: string, prefix = ''): string {
  if (typeof value !== 'string' || !new RegExp(`^${prefix}[0-9a-f]{64}$`).test(value)) {
    throw new Refused(`${name} is not a SHA-256 in hex`);
  }
  return value;
}

/** A path relative to the root, `/`-separated, that cannot lead out of it. */
function relativePath(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.includes('\0') ||
    value.split('/').some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw new Refused(`${name} is not a path inside the tree`);
  }
  return value;
}

function samples(value: unknown, name: string): FileSample[] {
  if (!Array.isArray(value)) throw new Refused(`${name} is not a list`);
  return value.map((item: unknown, i) => {
    const at = `${name}[${i}]`;
    const s = fields(item, at, ['path', 'size', 'sha256']);
    return {
      path: relativePath(s['path'], `${at}.path`),
      size: count(s['size'], `${at}.size`),
      sha256: digest(s['sha256'], `${at}.sha256`),
    };
  });
}

function flag(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new Refused(`${name} is not true or false`);
  return value;
}

function figures(value: unknown): TreeFigures {
  const f = fields(value, 'figures', ['files', 'bytes', 'listDigest', 'entriesDigest']);
  return {
    files: count(f['files'], 'figures.files'),
    bytes: count(f['bytes'], 'figures.bytes'),
    listDigest: digest(f['listDigest'], 'figures.listDigest'),
    entriesDigest: digest(f['entriesDigest'], 'figures.entriesDigest', 'entries:'),
  };
}

function parseLine<T>(line: string, what: string, read: (value: unknown) => T): Checked<T> {
  if (Buffer.byteLength(line, 'utf8') + 1 > maxRequestBytes) {
    return { ok: false, reason: `${what} is longer than ${maxRequestBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: `${what} is not JSON` };
  }
  try {
    return { ok: true, value: read(value) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Without `undefined` values: what an optional field absent from the JSON reads as. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

export function parseMeasureRequest(line: string): Checked<MeasureRequest> {
  return parseLine(line, 'the input', (value) => {
    const r = fields(
      value,
      'the input',
      [],
      ['samplesBefore', 'maxSamples', 'maxSampleBytes', 'sampleBudgetBytes', 'skipRootLostFound'],
    );
    return defined({
      samplesBefore: optionalCount(r['samplesBefore'], 'samplesBefore'),
      maxSamples: optionalCount(r['maxSamples'], 'maxSamples'),
      maxSampleBytes: optionalCount(r['maxSampleBytes'], 'maxSampleBytes'),
      sampleBudgetBytes: optionalCount(r['sampleBudgetBytes'], 'sampleBudgetBytes'),
      skipRootLostFound: flag(r['skipRootLostFound'], 'skipRootLostFound'),
    });
  });
}

export function parseCompareRequest(line: string): Checked<CompareRequest> {
  return parseLine(line, 'the input', (value) => {
    const r = fields(
      value,
      'the input',
      ['files', 'bytes', 'sha256'],
      ['samples', 'skipRootLostFound'],
    );
    const sha256 = r['sha256'];
    if (typeof sha256 !== 'string' || sha256.length > 256) {
      throw new Refused('sha256 is not a digest');
    }
    return defined({
      files: r['files'] === null ? null : count(r['files'], 'files'),
      bytes: count(r['bytes'], 'bytes'),
      sha256,
      samples: r['samples'] === undefined ? undefined : samples(r['samples'], 'samples'),
      skipRootLostFound: flag(r['skipRootLostFound'], 'skipRootLostFound'),
    });
  });
}

/** The input line of `measure` for these options (the signal stays here), newline included. */
export function measureRequestLine(options: WalkOptions): string {
  const request: MeasureRequest = defined({
    samplesBefore: options.samplesBefore?.getTime(),
    maxSamples: options.maxSamples,
    maxSampleBytes: options.maxSampleBytes,
    sampleBudgetBytes: options.sampleBudgetBytes,
    skipRootLostFound: options.skipRootLostFound,
  });
  return `${JSON.stringify(request)}\n`;
}

/** The input line of `compare`, newline included. */
export function compareRequestLine(
  expected: {
    readonly files: number | undefined;
    readonly bytes: number;
    readonly sha256: string;
    readonly samples?: readonly FileSample[];
  },
  skipRootLostFound?: boolean,
): string {
  const request: CompareRequest = defined({
    files: expected.files ?? null,
    bytes: expected.bytes,
    sha256: expected.sha256,
    samples: expected.samples?.map((s) => ({ path: s.path, size: s.size, sha256: s.sha256 })),
    skipRootLostFound,
  });
  return `${JSON.stringify(request)}\n`;
}

function reply<T>(output: string, read: (value: unknown) => T): T {
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== 1) {
    throw new Error(`the tree measure printed ${lines.length} lines instead of one`);
  }
  const parsed = parseLine(lines[0] ?? '', 'the tree measure’s output', read);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

/** The output of `measure`; throws when it is not what the entry point prints. */
export function parseMeasureReply(output: string): MeasureReply {
  return reply(output, (value) => {
    const r = fields(value, 'the output', ['figures', 'samples']);
    return { figures: figures(r['figures']), samples: samples(r['samples'], 'samples') };
  });
}

/**
 * The output of `compare` for the samples sent (`sent`, in their order); throws when it is not
 * what the entry point prints: a sample path not sent, or not in its place, is refused, and
 * so is the free-text `problems` of an older entry point. A refusal never repeats what was
 * read.
 */
export function parseCompareReply(
  output: string,
  sent: readonly FileSample[] | undefined,
): CompareReply {
  return reply(output, (value) => {
    if (typeof value === 'object' && value !== null && 'problems' in value) {
      throw new Refused(
        'the tree measure in the image is of an older bot: its comparison is free text ' +
          '(problems), which is not read; the image needs /app/src/backup of this bot',
      );
    }
    const r = fields(value, 'the output', ['figures', 'samples']);
    const expected = sent ?? [];
    const list = r['samples'];
    if (!Array.isArray(list)) throw new Refused('samples is not a list');
    if (list.length !== expected.length) {
      throw new Refused(`samples: ${list.length} outcomes for ${expected.length} samples sent`);
    }
    const samples = list.map((item: unknown, i): SampleOutcome => {
      const at = `samples[${i}]`;
      const s = fields(item, at, ['path', 'outcome']);
      if (s['path'] !== expected[i]?.path) {
        throw new Refused(`${at}.path is not the path sent in that place`);
      }
      const outcome = outcomes.find((o) => o === s['outcome']);
      if (outcome === undefined) {
        throw new Refused(`${at}.outcome is not one of ${outcomes.join(', ')}`);
      }
      return { path: expected[i]?.path ?? '', outcome };
    });
    return { figures: figures(r['figures']), samples };
  });
}

/**
 * The comparison a helper or a claim pod made (the output of `compare` for `expected`), with
 * its problems worded here, as the local comparison words them (tree-walk.ts `compareTree`).
 */
export function comparedFromReply(
  output: string,
  expected: {
    readonly files: number | undefined;
    readonly bytes: number;
    readonly sha256: string;
    readonly samples?: readonly FileSample[];
  },
): { readonly problems: string[]; readonly figures: TreeFigures } {
  const { figures: measured, samples } = parseCompareReply(output, expected.samples);
  return { problems: compareProblems(expected, measured, samples), figures: measured };
}

/**
 * Whether a run of the entry point failed because the image has no node, or not this entry
 * point (an image of an older bot): the exit code and stderr of the run. A missing node is
 * told as for the engine launcher (engine-launch-input.ts `launcherMissing`).
 */
export function treeMeasureMissing(exitCode: number | null, stderr: string): boolean {
  if (stderr.includes(treeMeasurePath) && /ERR_MODULE_NOT_FOUND|Cannot find module/.test(stderr)) {
    return true;
  }
  return launcherMissing(exitCode, stderr);
}
