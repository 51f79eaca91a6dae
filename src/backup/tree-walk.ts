/**
 * What a volume's files are, measured by the bot itself: recorded right after a file-level
 * backup, and measured again on the files a drill restored, the two must match.
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
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, opendir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileSample } from '../core/backup.ts';

export interface TreeFigures {
  /** Regular files (each path of a hard-linked file counts). */
  readonly files: number;
  /** Their bytes. */
  readonly bytes: number;
  /** The SHA-256 of the sorted list of entries. */
  readonly listDigest: string;
}

interface Candidate {
  readonly path: string;
  readonly rank: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface WalkOptions {
  /** Samples only among files whose time is older than this; none without it. */
  readonly samplesBefore?: Date;
  readonly maxSamples?: number;
  /** A file larger than this is never a sample (its digest would cost the backup time). */
  readonly maxSampleBytes?: number;
  /** The samples' bytes together stay under this: reading them is the walk's main cost. */
  readonly sampleBudgetBytes?: number;
  readonly signal?: AbortSignal;
}

const defaultMaxSamples = 8;
const defaultMaxSampleBytes = 4 * 1024 * 1024;
const defaultSampleBudgetBytes = 8 * 1024 * 1024;
/** Entries of one directory looked at together. */
const statBatch = 64;

/** Figures and the sample candidates of the tree under `root` (root itself left out). */
async function walk(
  root: string,
  options: WalkOptions,
): Promise<{ figures: TreeFigures; candidates: Candidate[] }> {
  const hash = createHash('sha256');
  const maxSamples = options.maxSamples ?? defaultMaxSamples;
  const before = options.samplesBefore?.getTime();
  const maxSampleBytes = options.maxSampleBytes ?? defaultMaxSampleBytes;
  let files = 0;
  let bytes = 0;
  // The `maxSamples` candidates with the lowest rank, kept sorted: bounded memory.
  const candidates: Candidate[] = [];
  const consider = (candidate: Candidate): void => {
    if (candidates.length >= maxSamples && candidate.rank >= (candidates.at(-1)?.rank ?? '')) {
      return;
    }
    candidates.push(candidate);
    candidates.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    if (candidates.length > maxSamples) candidates.pop();
  };
  const visit = async (relative: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const names: string[] = [];
    for await (const entry of await opendir(join(root, relative))) names.push(entry.name);
    names.sort();
    for (let i = 0; i < names.length; i += statBatch) {
      const batch = names.slice(i, i + statBatch);
      const stats = await Promise.all(
        batch.map(async (name) => {
          const path = relative === '' ? name : `${relative}/${name}`;
          const st = await lstat(join(root, path));
          const target = st.isSymbolicLink() ? await readlink(join(root, path)) : '';
          return { path, st, target };
        }),
      );
      for (const { path, st, target } of stats) {
        const owner = `${st.uid}:${st.gid}`;
        if (st.isDirectory()) {
          hash.update(`d\0${path}\0${(st.mode & 0o7777).toString(8)}\0${owner}\n`);
          await visit(path);
        } else if (st.isFile()) {
          files++;
          bytes += st.size;
          const mode = (st.mode & 0o7777).toString(8);
          hash.update(`f\0${path}\0${mode}\0${owner}\0${st.size}\0${st.nlink}\n`);
          if (
            before !== undefined &&
            st.size > 0 &&
            st.size <= maxSampleBytes &&
            st.mtimeMs < before
          ) {
            const rank = createHash('sha256').update(path).digest('hex');
            consider({ path, rank, size: st.size, mtimeMs: st.mtimeMs });
          }
        } else if (st.isSymbolicLink()) {
          hash.update(`l\0${path}\0${owner}\0${target}\n`);
        } else {
          hash.update(`o\0${path}\0${(st.mode & 0o177777).toString(8)}\0${owner}\n`);
        }
      }
    }
  };
  await visit('');
  return { figures: { files, bytes, listDigest: hash.digest('hex') }, candidates };
}

export async function fileDigest(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash, signal === undefined ? {} : { signal });
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
): Promise<{ readonly problems: string[]; readonly figures: TreeFigures }> {
  const { figures } = await walk(root, signal === undefined ? {} : { signal });
  const problems: string[] = [];
  if (expected.files !== undefined && expected.files !== figures.files) {
    problems.push(`files: ${expected.files} → ${figures.files}`);
  }
  if (expected.bytes !== figures.bytes)
    problems.push(`bytes: ${expected.bytes} → ${figures.bytes}`);
  if (expected.sha256 !== figures.listDigest) {
    problems.push(
      `file list: ${expected.sha256.slice(0, 12)}… → ${figures.listDigest.slice(0, 12)}…`,
    );
  }
  for (const sample of expected.samples ?? []) {
    let actual: string;
    try {
      actual = await fileDigest(join(root, sample.path), signal);
    } catch {
      problems.push(`${sample.path}: missing`);
      continue;
    }
    if (actual !== sample.sha256) problems.push(`${sample.path}: sha256 differs`);
  }
  return { problems, figures };
}
