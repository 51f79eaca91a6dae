/** The downloaded package's MD5 against the directory's, and the empty file refused. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { checkDownload, emptyMd5 } from '../../src/plugins/package/download.ts';
import { pluginZip } from '../fakes/moodle-plugins/zips.ts';

const zip = pluginZip('good', 'mod_attendance');
const md5 = createHash('md5').update(zip).digest('hex');

function refusal(bytes: Buffer, expected: string): UserError {
  try {
    checkDownload(bytes, expected);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('the download was not refused');
}

describe('checkDownload', () => {
  it('accepts the bytes the directory names, in either case of hex', () => {
    expect(() => checkDownload(zip, md5)).not.toThrow();
    expect(() => checkDownload(zip, md5.toUpperCase())).not.toThrow();
  });

  it('refuses other bytes and names both sums', () => {
    const other = Buffer.concat([zip, Buffer.from([0])]);
    const error = refusal(other, md5);
    expect(error.code).toBe('plugin-download-md5-mismatch');
    expect(error.params['expected']).toBe(md5);
    expect(error.params['found']).toBe(createHash('md5').update(other).digest('hex'));
    expect(error.text('ru')).toContain(md5);
  });

  it('refuses the empty file even when the directory names its MD5, as Moodle does', () => {
    expect(refusal(Buffer.alloc(0), emptyMd5).code).toBe('plugin-download-empty');
    expect(refusal(Buffer.alloc(0), md5).code).toBe('plugin-download-empty');
  });

  it('refuses a checksum that is not an MD5', () => {
    for (const bad of ['', 'abc', `${md5}0`, 'z'.repeat(32), 'sha256:' + md5]) {
      expect(refusal(zip, bad).code, bad).toBe('plugin-download-md5-invalid');
    }
  });
});
