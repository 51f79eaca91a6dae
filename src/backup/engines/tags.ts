/**
 * What both engines share about naming: the rules tags and file names follow before they
 * reach an argv, how a repository is shown to people, and how engine output is cleaned
 * before it becomes part of a message.
 */
import { UserError } from '../../core/errors.ts';
import { makeRedactor } from '../../core/logger.ts';
import { codeName } from '../printable-name.ts';
import type { RetentionPolicy, SnapshotTags } from '../types.ts';

const servicePattern = /^[a-z][a-z0-9-]{0,39}$/;
/** `<kind>:<name>`: one colon, so that a borg archive name can be read back unambiguously. */
const sourcePattern = /^[a-z]{1,16}:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** No `_` or `.`: it separates the parts of a borg archive name. */
const jobPattern = /^[A-Za-z0-9-]{1,40}$/;
/** No `,` (restic splits tags there), no glob characters, no `pes-` (our own prefixes). */
const extraPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const filenamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const tagPrefixes = {
  service: 'pes-service=',
  source: 'pes-source=',
  job: 'pes-job=',
  /** Only on file-level snapshots (`pes-kind=files`); a snapshot without it is a stream. */
  kind: 'pes-kind=',
} as const;

/** Refuses a tag that could change the meaning of an argv or of a stored name. */
export function checkTags(tags: SnapshotTags): void {
  const check = (value: string, ok: boolean): void => {
    if (!ok) throw new UserError('backup-engine-tag-invalid', { tag: value });
  };
  check(tags.service, servicePattern.test(tags.service));
  check(tags.source, sourcePattern.test(tags.source));
  check(tags.job, jobPattern.test(tags.job));
  for (const extra of tags.extra) {
    check(extra, extraPattern.test(extra) && !extra.startsWith('pes-'));
  }
}

export function checkFilename(filename: string): void {
  if (!filenamePattern.test(filename)) {
    throw new UserError('backup-engine-tag-invalid', { tag: filename });
  }
}

/**
 * The repository as people may see it: a user name and password inside a URL
 * (`rest:https://user:pw@host/`) are left out.
 */
export function displayRepository(repository: string): string {
  return repository.replace(/^((?:[a-z0-9]+:)*[a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/** An argument as a person would type it into a POSIX shell. */
export function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The last lines of an engine's stderr, fit for a one-line message: the fatal error is at
 * the end. Any secret that somehow appears is replaced. The engine quotes the volume's file
 * names as they are (`error: open /data/…: permission denied`): the words are one line of
 * code (printable-name.ts), empty when it said nothing.
 */
export function reasonFrom(stderr: string, secrets: readonly string[], maxChars = 300): string {
  const text = makeRedactor(secrets)(stderr);
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const tail = lines.slice(-3).join(' — ');
  if (tail === '') return '';
  const shown = tail.length > maxChars ? `…${tail.slice(tail.length - maxChars)}` : tail;
  return codeName(shown, shown.length);
}

/** `--keep-*` flags of a policy, the same for restic and borg; empty when it keeps everything. */
export function keepArgs(policy: RetentionPolicy): string[] {
  const args: string[] = [];
  const add = (flag: string, value: number | undefined): void => {
    if (value !== undefined && value > 0) args.push(flag, String(Math.floor(value)));
  };
  add('--keep-last', policy.keepLast);
  add('--keep-daily', policy.keepDaily);
  add('--keep-weekly', policy.keepWeekly);
  add('--keep-monthly', policy.keepMonthly);
  return args;
}
