/** Silence words, the Silence button's command line, and the API v2 client's error cases. */
import { describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../src/alerts/alertmanager-client.ts';
import { formatMatcher, parseSilenceWords, silenceCommand } from '../../src/alerts/silence-spec.ts';
import { UserError } from '../../src/core/errors.ts';
import { tokenize } from '../../src/core/tokenize.ts';

describe('silence words', () => {
  it('reads matchers, a duration and a comment', () => {
    const r = parseSilenceWords(['alertname=DiskFull', 'instance=~"db-.*"', '4h', 'disk', 'swap']);
    expect(r.matchers.map(formatMatcher)).toEqual(['alertname="DiskFull"', 'instance=~"db-.*"']);
    expect(r.durationMs).toBe(4 * 3_600_000);
    expect(r.comment).toBe('disk swap');
  });

  it('refuses no matcher, no or a too long duration, and a catch-all', () => {
    for (const words of [['1h'], ['a=b'], ['a=b', '100d'], ['a=~.*', '1h'], ['a!=b', '1h']]) {
      expect(() => parseSilenceWords(words)).toThrow(UserError);
    }
  });

  it('quotes label values so that the button command cannot be changed by them', () => {
    const labels = { alertname: 'X" 1d "evil=1', instance: 'a\\b c', 'bad-name': 'x' };
    const command = silenceCommand(labels, '1h');
    const [name, ...words] = tokenize(command);
    expect(name).toBe('silence');
    const parsed = parseSilenceWords(words);
    expect(parsed.matchers).toEqual([
      { name: 'alertname', value: 'X" 1d "evil=1', isRegex: false, isEqual: true },
      { name: 'instance', value: 'a\\b c', isRegex: false, isEqual: true },
    ]);
    expect(parsed.durationMs).toBe(3_600_000);
  });
});

describe('Alertmanager API v2 client', () => {
  const fake =
    (handler: (url: string, init?: RequestInit) => Response): typeof fetch =>
    (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      return Promise.resolve(handler(url, init));
    };

  it('tells an unknown silence (answered 500) from a real failure', async () => {
    const client = new AlertmanagerClient('http://am', {
      fetch: fake((url, init) =>
        init?.method === 'DELETE'
          ? new Response('silence not found', { status: 500 })
          : Response.json(url.endsWith('/silences') ? [] : {}),
      ),
    });
    await expect(client.expireSilence('nope')).rejects.toMatchObject({ code: 'silence-unknown' });
  });

  it('reports an unreachable Alertmanager as alertmanager-failed', async () => {
    const client = new AlertmanagerClient('http://am', {
      fetch: () => Promise.reject(new Error('connect ECONNREFUSED')),
    });
    await expect(client.silences()).rejects.toMatchObject({ code: 'alertmanager-failed' });
  });
});
