/** A reason put inside a sentence that its template ends: no stop of its own at the end. */
import { describe, expect, it } from 'vitest';
import { trimStop } from '../../src/core/errors.ts';

describe('trimStop', () => {
  it('drops the stops and white space at the end, however many', () => {
    expect(trimStop('the volume is busy.')).toBe('the volume is busy');
    expect(trimStop('it stopped...')).toBe('it stopped');
    expect(trimStop('no space left on device. \n')).toBe('no space left on device');
    expect(trimStop('диск заполнен.\t')).toBe('диск заполнен');
  });

  it('keeps stops and spaces inside the text, and what ends otherwise', () => {
    expect(trimStop('file a.txt: permission denied')).toBe('file a.txt: permission denied');
    expect(trimStop('  leading. space kept!')).toBe('  leading. space kept!');
    expect(trimStop('exit code 3…')).toBe('exit code 3…');
  });

  it('leaves nothing of a text that is only stops and white space', () => {
    expect(trimStop('')).toBe('');
    expect(trimStop(' . .\n')).toBe('');
  });
});
