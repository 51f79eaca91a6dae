/**
 * What a volume's files are, measured by the bot itself: recorded right after a file-level
 * backup, and measured again on the files a drill restored. A drill compares the restored
 * files with the snapshot's own listing (`EntrySet`, snapshot-listing.ts) and the samples:
 * a file changed during the backup makes the walk after it differ from what the engine stored.
 *
 * The walk goes depth first with each directory's names sorted, so the digest of the list
 * is streamed and memory stays bounded by the largest directory. Each entry contributes its
 * type, path, and what a restore must bring back: mode, owner and group by number, size,
 * the link count of a file (hard links) and the target of a symbolic link. Times are left
 * out: a directory's time changes when anything is written into it.
 *
 * The samples are files that did not change since before the backup started (their time is
 * older), chosen by a hash of their path so that the choice does not follow the order of the
 * disk, and read again only if their size and time are the same after the digest: a file
 * the service was writing during the backup is never a sample.
 *
 * A volume this process cannot reach (a Docker helper, a Kubernetes claim pod) is measured by
 * this very code run there (tree-measure-cli.ts), so the digests are the same whichever side
 * measured. Only node's own modules are imported (and types, which Node strips): it runs
 * from the image's sources as they are.
 */
import { createHash } from 'node:crypto';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSample } from '../core/backup.ts';
import { nameText } from './name-text.ts';
import { codeName } from './printable-name.ts';

export interface TreeFigures {
  /** Regular files (each path of a hard-linked file counts). */
  readonly files: number;
  /** Their bytes. */
  readonly bytes: number;
  /** The SHA-256 of the sorted list of entries. */
  readonly listDigest: string;
  /** The same entries as an engine lists them, in any order (`EntrySet`). */
  readonly entriesDigest: string;
}

/** Marks a digest made by `EntrySet` (a drill's expectation from the engine's listing). */
export const entriesPrefix = 'entries:';

/**
 * The digest of a set of entries whatever their order (borg lists in the order it read, by
 * inode; restic by name): the sum, modulo 2^256, of the SHA-256 of each entry's line. Each
 * line holds what both engines list and a restore brings back: type, path, permission bits,
 * owner and group by number, and a file's size. Memory stays constant.
 */
export class EntrySet {
  #sum = 0n;
  #files = 0;
  #bytes = 0;

  add(entry: {
    readonly type: 'dir' | 'file' | 'symlink' | 'other';
    readonly path: string;
    readonly perm: number | undefined;
    readonly uid: number | undefined;
    readonly gid: number | undefined;
    readonly size: number;
  }): void {
    const perm = entry.perm === undefined ? '?' : entry.perm.toString(8);
    const size = entry.type === 'file' ? String(entry.size) : '';
    const owner = `${entry.uid ?? '?'}:${entry.gid ?? '?'}`;
    const line = `${entry.type}\0${entry.path}\0${perm}\0${owner}\0${size}`;
    const digest = createHash('sha256').update(line).digest('hex');
    this.#sum = (this.#sum + BigInt(`0x${digest}`)) % modulus;
    if (entry.type === 'file') {
      this.#files++;
      this.#bytes += entry.size;
    }
  }

  get files(): number {
    return this.#files;
  }

  get bytes(): number {
    return this.#bytes;
  }

  digest(): string {
    return `${entriesPrefix}${this.#sum.toString(16).padStart(64, '0')}`;
  }
}

const modulus = 2n ** 256n;

interface Candidate {
  readonly path: string;
  readonly rank: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** One entry of a tree as the walk sees it (lstat: a symbolic link is not followed). */
interface WalkEntry {
  /** Relative to the root, `/`-separated. */
  readonly path: string;
  readonly type: 'dir' | 'file' | 'symlink' | 'other';
  /** The whole st_mode, file type bits included. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  /** A symbolic link's target; '' otherwise. */
  readonly target: string;
  readonly mtimeMs: number;
}

/**
 * The figures of a tree, fed its entries in the walk's order: depth first, each directory's
 * names sorted.
 */
class TreeDigest {
  readonly #hash = createHash('sha256');
  readonly #entries = new EntrySet();
  readonly #maxSamples: number;
  readonly #before: number | undefined;
  readonly #maxSampleBytes: number;
  #files = 0;
  #bytes = 0;
  // The `maxSamples` candidates with the lowest rank, kept sorted: bounded memory.
  readonly candidates: Candidate[] = [];

  constructor(options: WalkOptions) {
    this.#maxSamples = options.maxSamples ?? defaultMaxSamples;
    this.#before = options.samplesBefore?.getTime();
    this.#maxSampleBytes = options.maxSampleBytes ?? defaultMaxSampleBytes;
  }

  add(e: WalkEntry): void {
    const owner = `${e.uid}:${e.gid}`;
    const mode = (e.mode & 0o7777).toString(8);
    this.#entries.add({ ...e, perm: e.mode & 0o7777 });
    if (e.type === 'dir') {
      this.#hash.update(`d\0${e.path}\0${mode}\0${owner}\n`);
    } else if (e.type === 'file') {
      this.#files++;
      this.#bytes += e.size;
      this.#hash.update(`f\0${e.path}\0${mode}\0${owner}\0${e.size}\0${e.nlink}\n`);
      if (
        this.#before !== undefined &&
        e.size > 0 &&
        e.size <= this.#maxSampleBytes &&
        e.mtimeMs < this.#before &&
        // A name that is not UTF-8 has no text to open it by again (`walk`).
        !e.path.includes('\uFFFD')
      ) {
        const rank = createHash('sha256').update(e.path).digest('hex');
        this.#consider({ path: e.path, rank, size: e.size, mtimeMs: e.mtimeMs });
      }
    } else if (e.type === 'symlink') {
      this.#hash.update(`l\0${e.path}\0${owner}\0${e.target}\n`);
    } else {
      this.#hash.update(`o\0${e.path}\0${(e.mode & 0o177777).toString(8)}\0${owner}\n`);
    }
  }

  #consider(candidate: Candidate): void {
    const { candidates } = this;
    if (
      candidates.length >= this.#maxSamples &&
      candidate.rank >= (candidates.at(-1)?.rank ?? '')
    ) {
      return;
    }
    candidates.push(candidate);
    candidates.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    if (candidates.length > this.#maxSamples) candidates.pop();
  }

  figures(): TreeFigures {
    return {
      files: this.#files,
      bytes: this.#bytes,
      listDigest: this.#hash.digest('hex'),
      entriesDigest: this.#entries.digest(),
    };
  }
}

export interface WalkOptions {
  /** Samples only among files whose time is older than this; none without it. */
  readonly samplesBefore?: Date;
  readonly maxSamples?: number;
  /** A file larger than this is never a sample (its digest would cost the backup time). */
  readonly maxSampleBytes?: number;
  /** The samples' bytes together stay under this: reading them is the walk's main cost. */
  readonly sampleBudgetBytes?: number;
  /** Leaves out a `lost+found` at the root only (a claim's file system's own: claim-site.ts). */
  readonly skipRootLostFound?: boolean;
  readonly signal?: AbortSignal;
}

/** The file system's own folder that `skipRootLostFound` leaves out at the root. */
export const rootLostFound = 'lost+found';

const defaultMaxSamples = 8;
const defaultMaxSampleBytes = 4 * 1024 * 1024;
const defaultSampleBudgetBytes = 8 * 1024 * 1024;
/** Entries of one directory looked at together. */
const statBatch = 64;
const slash = Buffer.from('/');

/** Figures and the sample candidates of the tree under `root` (root itself left out). */
async function walk(
  root: string,
  options: WalkOptions,
): Promise<{ figures: TreeFigures; candidates: Candidate[] }> {
  const digest = new TreeDigest(options);
  // Names are read as bytes and reached by their bytes: a name that is not UTF-8 (a Latin-1
  // name from an old archive) decodes with U+FFFD in it, one per such byte as restic lists it
  // (name-text.ts), and that text names no file. The text is what the digest and the order
  // use; the bytes are what lstat and readlink get.
  const visit = async (relative: string, directory: Buffer): Promise<void> => {
    options.signal?.throwIfAborted();
    const names: { readonly text: string; readonly raw: Buffer }[] = [];
    for (const raw of await readdir(directory, { encoding: 'buffer' })) {
      const text = nameText(raw);
      // Never opened: a pod that is not root may not even read it.
      if (relative === '' && options.skipRootLostFound === true && text === rootLostFound) {
        continue;
      }
      names.push({ text, raw });
    }
    names.sort((a, b) =>
      a.text < b.text ? -1 : a.text > b.text ? 1 : Buffer.compare(a.raw, b.raw),
    );
    for (let i = 0; i < names.length; i += statBatch) {
      const batch = names.slice(i, i + statBatch);
      const stats = await Promise.all(
        batch.map(async ({ text, raw }) => {
          const path = relative === '' ? text : `${relative}/${text}`;
          const at = Buffer.concat([directory, slash, raw]);
          const st = await lstat(at);
          const target = st.isSymbolicLink()
            ? nameText(await readlink(at, { encoding: 'buffer' }))
            : '';
          return { path, at, st, target };
        }),
      );
      for (const { path, at, st, target } of stats) {
        const type = st.isDirectory()
          ? 'dir'
          : st.isFile()
            ? 'file'
            : st.isSymbolicLink()
              ? 'symlink'
              : 'other';
        digest.add({
          path,
          type,
          mode: st.mode,
          uid: st.uid,
          gid: st.gid,
          size: st.size,
          nlink: st.nlink,
          target,
          mtimeMs: st.mtimeMs,
        });
        if (type === 'dir') await visit(path, at);
      }
    }
  };
  await visit('', Buffer.from(root));
  return { figures: digest.figures(), candidates: digest.candidates };
}

/**
 * Read through one buffer kept for the process: a read stream allocates a new 64 KB buffer
 * for each chunk, outside V8's heap, and those that outlive a young collection stay until
 * a full one, which the bot's V8 flags (./pes) put off until 32 MB of old generation. With
 * 8 MB of samples per backup that was 6–9 MB more resident for good (`npm run bench:backup`).
 * Reads are sequential: one digest at a time uses the buffer (`digestQueue`).
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);
let digestQueue: Promise<unknown> = Promise.resolve();

export function fileDigest(path: string, signal?: AbortSignal): Promise<string> {
  const run = digestQueue.then(() => digestWithBuffer(path, signal));
  digestQueue = run.catch(() => undefined);
  return run;
}

async function digestWithBuffer(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await file.read(readBuffer, 0, readBuffer.length, null);
      if (bytesRead === 0) break;
      hash.update(readBuffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** The figures of a tree and, when asked, digests of a few files that did not change. */
export async function measureTree(
  root: string,
  options: WalkOptions = {},
): Promise<{ readonly figures: TreeFigures; readonly samples: readonly FileSample[] }> {
  const { figures, candidates } = await walk(root, options);
  const samples: FileSample[] = [];
  let budget = options.sampleBudgetBytes ?? defaultSampleBudgetBytes;
  for (const candidate of candidates) {
    if (candidate.size > budget) continue;
    budget -= candidate.size;
    const path = join(root, candidate.path);
    try {
      const sha256 = await fileDigest(path, options.signal);
      const after = await lstat(path);
      if (after.size !== candidate.size || after.mtimeMs !== candidate.mtimeMs) continue;
      samples.push({ path: candidate.path, size: candidate.size, sha256 });
    } catch (error) {
      // Removed meanwhile: not a sample. A cancel is not swallowed.
      options.signal?.throwIfAborted();
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { figures, samples };
}

/** What a comparison found of one recorded sample, in the order they were recorded. */
export interface SampleOutcome {
  readonly path: string;
  readonly outcome: 'missing' | 'differs' | 'same';
}

/** What differs between the recorded figures and samples and a restored tree's. */
export async function compareTree(
  root: string,
  expected: {
    readonly files: number | undefined;
    readonly bytes: number;
    readonly sha256: string;
    readonly samples?: readonly FileSample[];
  },
  signal?: AbortSignal,
  options: { readonly skipRootLostFound?: boolean } = {},
): Promise<{
  readonly problems: string[];
  readonly figures: TreeFigures;
  readonly samples: readonly SampleOutcome[];
}> {
  const { figures } = await walk(root, {
    ...(signal === undefined ? {} : { signal }),
    ...(options.skipRootLostFound === true ? { skipRootLostFound: true } : {}),
  });
  const samples: SampleOutcome[] = [];
  for (const sample of expected.samples ?? []) {
    let actual: string;
    try {
      actual = await fileDigest(join(root, sample.path), signal);
    } catch {
      samples.push({ path: sample.path, outcome: 'missing' });
      continue;
    }
    samples.push({ path: sample.path, outcome: actual === sample.sha256 ? 'same' : 'differs' });
  }
  return { problems: compareProblems(expected, figures, samples), figures, samples };
}

/**
 * The problems of a comparison, in words: the figures', then each sample's that is not the
 * same, its path shown as one line that cannot add markup (printable-name.ts). The bot words
 * them itself, also from what a helper or a claim pod measured (tree-measure-input.ts).
 */
export function compareProblems(
  expected: { readonly files: number | undefined; readonly bytes: number; readonly sha256: string },
  figures: TreeFigures,
  samples: readonly SampleOutcome[],
): string[] {
  const problems = figureProblems(expected, figures);
  for (const { path, outcome } of samples) {
    if (outcome === 'missing') problems.push(`${codeName(path)}: missing`);
    if (outcome === 'differs') problems.push(`${codeName(path)}: sha256 differs`);
  }
  return problems;
}

/** How recorded figures differ from measured ones (the samples are compared apart). */
export function figureProblems(
  expected: { readonly files: number | undefined; readonly bytes: number; readonly sha256: string },
  figures: TreeFigures,
): string[] {
  const problems: string[] = [];
  if (expected.files !== undefined && expected.files !== figures.files) {
    problems.push(`files: ${expected.files} → ${figures.files}`);
  }
  if (expected.bytes !== figures.bytes)
    problems.push(`bytes: ${expected.bytes} → ${figures.bytes}`);
  // An expectation from the engine's listing (snapshot-listing.ts), or an older manifest's
  // walk right after the backup.
  const listed = expected.sha256.startsWith(entriesPrefix);
  const digest = listed ? figures.entriesDigest : figures.listDigest;
  if (expected.sha256 !== digest) {
    const shown = (d: string): string => `${d.replace(entriesPrefix, '').slice(0, 12)}…`;
    problems.push(`file list: ${shown(expected.sha256)} → ${shown(digest)}`);
  }
  return problems;
}
