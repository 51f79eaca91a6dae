/** `timeZone`: an IANA zone checked by Intl, carried to the catalog every time is shown with. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

function load(text: string) {
  const cwd = makeTempDir({ 'pes.yaml': text });
  return () => loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' });
}

describe('the timeZone setting', () => {
  it('is carried to the catalog', () => {
    expect(load('timeZone: Europe/Moscow\n')().catalog.timeZone).toBe('Europe/Moscow');
    expect(load('locale: en\n')().catalog.timeZone).toBeUndefined();
  });

  it('refuses a zone the runtime does not know, naming the key', () => {
    const problems = problemsOf(catchUserError(load('timeZone: Europe/Moskva\n')));
    expect(problems.join('\n')).toMatch(/timeZone.*IANA time zone/);
  });
});
