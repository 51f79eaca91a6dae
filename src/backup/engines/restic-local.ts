/**
 * What the bot can learn about a local restic repository from its files, without starting
 * restic (each run derives the key from the password with scrypt: about half a second here).
 *
 * restic's repository format ("Design" in restic's documentation, "Repository Format"): a
 * local repository is a directory holding `config` and the directories `data`, `index`,
 * `keys`, `locks` and `snapshots`; each file in `snapshots/` is named by the SHA-256 of its
 * content, and that name is the snapshot id.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The directory of a local repository, or undefined for any other backend. restic takes a
 * location as local when it starts with `local:` or names no backend (`sftp:`, `s3:`,
 * `rest:`, `b2:`, `azure:`, `gs:`, `swift:`, `rclone:`); a bare word followed by a colon is
 * left to restic, so that a backend this list does not know is never read as a path.
 */
export function localRepositoryPath(repository: string): string | undefined {
  if (repository.startsWith('local:')) return repository.slice('local:'.length);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(repository)) return undefined;
  return repository;
}

/** The full id of the snapshot whose id starts with `shortId`, when exactly one does. */
export async function fullSnapshotId(
  directory: string,
  shortId: string,
): Promise<string | undefined> {
  if (!/^[0-9a-f]{8,64}$/.test(shortId)) return undefined;
  let names: string[];
  try {
    names = await readdir(join(directory, 'snapshots'));
  } catch {
    return undefined;
  }
  const matches = names.filter((n) => /^[0-9a-f]{64}$/.test(n) && n.startsWith(shortId));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Whether a local repository exists already (its `config` file is there). */
export async function localRepositoryExists(directory: string): Promise<boolean> {
  try {
    return (await stat(join(directory, 'config'))).isFile();
  } catch {
    return false;
  }
}
