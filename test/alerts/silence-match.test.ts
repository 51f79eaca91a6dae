import { describe, expect, it } from 'vitest';
import { silenceCovers } from '../../src/alerts/silence-match.ts';
import type { Matcher } from '../../src/core/alerts.ts';

const m = (name: string, value: string, op: '=' | '!=' | '=~' | '!~'): Matcher => ({
  name,
  value,
  isRegex: op.includes('~'),
  isEqual: !op.startsWith('!'),
});

const labels = { alertname: 'DiskFull', instance: 'db-1', severity: 'warning' };

describe('silenceCovers (Alertmanager matcher semantics)', () => {
  it('needs every matcher to hold', () => {
    expect(silenceCovers([m('alertname', 'DiskFull', '=')], labels)).toBe(true);
    expect(
      silenceCovers([m('alertname', 'DiskFull', '='), m('severity', 'critical', '=')], labels),
    ).toBe(false);
  });

  it('anchors regular expressions at both ends', () => {
    expect(silenceCovers([m('instance', 'db-.*', '=~')], labels)).toBe(true);
    expect(silenceCovers([m('instance', 'db', '=~')], labels)).toBe(false);
    expect(silenceCovers([m('instance', '.*-1|x', '=~')], labels)).toBe(true);
  });

  it('negates != and !~', () => {
    expect(silenceCovers([m('severity', 'critical', '!=')], labels)).toBe(true);
    expect(silenceCovers([m('severity', 'warning', '!=')], labels)).toBe(false);
    expect(silenceCovers([m('instance', 'web-.*', '!~')], labels)).toBe(true);
  });

  it('reads an absent label as empty', () => {
    expect(silenceCovers([m('team', '', '=')], labels)).toBe(true);
    expect(silenceCovers([m('team', 'db', '!=')], labels)).toBe(true);
    expect(silenceCovers([m('team', '.+', '=~')], labels)).toBe(false);
  });

  it('covers nothing with no matchers or an expression it cannot compile', () => {
    expect(silenceCovers([], labels)).toBe(false);
    expect(silenceCovers([m('instance', '(', '=~')], labels)).toBe(false);
  });
});
