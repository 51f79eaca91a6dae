import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { engineListing, unreadableListing } from '../../src/backup/engines/listing-lines.ts';

describe('engine listing lines', () => {
  const listing = () =>
    engineListing((line, push) => {
      if (line === 'skip') return true;
      if (!line.startsWith('file ')) return false;
      push({ path: line.slice(5), type: 'file', size: 1 });
      return true;
    });

  it('keeps the entries in order, accepts lines without one and ignores blank lines', () => {
    const l = listing();
    for (const line of ['file b', 'skip', '', '   ', 'file a']) l.add(line);
    expect(l.entries.map((e) => e.path)).toEqual(['b', 'a']);
    expect(l.rejected).toBe(0);
    expect(l.firstRejected).toBeUndefined();
  });

  it('counts lines not of the format and keeps the first', () => {
    const l = listing();
    for (const line of ['oops 1', 'file a', 'oops 2']) l.add(line);
    expect(l.rejected).toBe(2);
    expect(l.firstRejected).toBe('oops 1');
  });

  it('fails as backup-engine-failed with the count, the first line as code, secrets taken out', () => {
    const l = listing();
    for (const line of ['token=s3cret `x`', 'bad']) l.add(line);
    const error = unreadableListing(l, { engine: 'restic', operation: 'ls', code: 0 }, (line) =>
      line.replace('s3cret', '[redacted]'),
    );
    expect(error).toBeInstanceOf(UserError);
    expect(error.code).toBe('backup-engine-failed');
    const text = error.text('en');
    expect(text).toContain('2 lines of the listing could not be read');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('s3cret');
    const one = listing();
    one.add('bad');
    expect(
      unreadableListing(one, { engine: 'borg', operation: 'list', code: 1 }).text('en'),
    ).toContain('1 line of the listing');
  });
});
