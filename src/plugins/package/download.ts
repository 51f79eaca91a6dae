/**
 * The downloaded package is the one the directory describes: its MD5 equals the directory's
 * `downloadmd5`. As Moodle's own installer does (core\update\code_manager::
 * get_remote_plugin_zip in lib/classes/update/code_manager.php), the empty file's MD5 is
 * refused even when the directory names it: an empty download means something went wrong.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../../core/errors.ts';

/** MD5 of zero bytes. */
export const emptyMd5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** Throws a UserError unless `bytes` hash to `expectedMd5` (hex, any case) and are not empty. */
export function checkDownload(bytes: Buffer, expectedMd5: string): void {
  const expected = expectedMd5.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(expected)) {
    throw new UserError('plugin-download-md5-invalid', { value: expectedMd5.slice(0, 64) });
  }
  const found = createHash('md5').update(bytes).digest('hex');
  if (found === emptyMd5) throw new UserError('plugin-download-empty', { found });
  if (found !== expected) throw new UserError('plugin-download-md5-mismatch', { found, expected });
}
