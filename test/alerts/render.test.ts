/** Alert posts checked against golden files; hostile label values must stay inert. */
import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/alerts/digest.ts';
import { escapeInline, safeUrl } from '../../src/alerts/escape.ts';
import { mentionLine, renderAlertGroup } from '../../src/alerts/render.ts';
import { renderMessage } from '../../src/chat/mattermost/render.ts';
import { fixture, payloadOf } from './fixtures.ts';

const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

const binding = {
  url: 'https://pes-bot.example.org/mattermost/actions',
  secret: 'golden-secret',
  channel: 'c'.repeat(26),
  root: '',
};

const runbooks = [{ match: {}, matchRe: {}, label: 'Restart moodle', command: 'restart moodle' }];

describe('alert rendering', () => {
  it('renders the real firing payload', async () => {
    const message = renderAlertGroup(fixture('firing'), {
      locale: 'en',
      runbooks,
      silenceButtons: true,
      acknowledge: { threadId: 7, by: undefined },
    });
    await expect(golden(message)).toMatchFileSnapshot('./golden/firing-en.json');
    await expect(golden(renderMessage(message, 'en', binding))).toMatchFileSnapshot(
      './golden/firing-mattermost.json',
    );
  });

  it('renders the real resolved payload in Russian', async () => {
    const message = renderAlertGroup(fixture('resolved'), {
      locale: 'ru',
      acknowledge: { threadId: 7, by: '@all <oleg>' },
    });
    await expect(golden(message)).toMatchFileSnapshot('./golden/resolved-ru.json');
  });

  it('lists a group of many alerts, at most ten of them', async () => {
    const alerts = Array.from({ length: 14 }, (_, i) => ({
      labels: { alertname: 'DiskFull', severity: 'warning', instance: `node-${i}` },
      annotations: { summary: `disk ${i} is full` },
      ...(i % 5 === 0 ? { status: 'resolved' as const } : {}),
    }));
    const message = renderAlertGroup(payloadOf('{}:{alertname="DiskFull"}', alerts), {
      locale: 'en',
    });
    await expect(golden(message)).toMatchFileSnapshot('./golden/many-en.json');
  });

  it('keeps markup, links and mentions in labels and annotations inert', async () => {
    const hostile = payloadOf('{}:{alertname="x"}', [
      {
        labels: {
          alertname: '@all **boom** [click](http://evil.example)',
          severity: 'critical',
          instance: '<!channel> @here `code` # heading\n> quote',
          service: ':smile: ~~strike~~ | table |',
        },
        annotations: {
          summary: '@channel please [look](javascript:alert(1))',
          description: 'line 1\n# not a heading\n@oleg ![img](http://evil.example/x.png)',
          runbook_url: 'javascript:alert(1)',
          dashboard: 'http://ok.example/d?x=1) [x](http://evil',
        },
      },
    ]);
    const message = renderAlertGroup(hostile, { locale: 'en' });
    await expect(golden(message)).toMatchFileSnapshot('./golden/hostile-en.json');
    const all = JSON.stringify(renderMessage(message, 'en'));
    expect(all).not.toMatch(/(?<!\\u200b)@(all|channel|here|oleg)/);
    expect(all).not.toContain('](http://evil');
    expect(all).not.toContain('javascript:');
  });

  it('cuts huge and unicode values without breaking characters', () => {
    const huge = '🔥'.repeat(5000);
    const out = escapeInline(huge);
    expect(out).toBe('🔥'.repeat(300) + '…');
    expect(out.endsWith('🔥…')).toBe(true);
  });

  it('accepts only plain http(s) links', () => {
    expect(safeUrl('https://grafana.example/d/abc?orgId=1')).toBeDefined();
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('http://a.example/x) [y](http://b')).toBeUndefined();
  });

  it('mentions on-call people, and the channel only for critical alerts', () => {
    const target = { mentions: ['@oncall'], channelOnCritical: true };
    expect(mentionLine(fixture('firing'), target)).toBe('@channel @oncall');
    expect(mentionLine(fixture('resolved'), target)).toBe('');
    const warning = payloadOf('g', [{ labels: { alertname: 'A', severity: 'warning' } }]);
    expect(mentionLine(warning, target)).toBe('@oncall');
  });

  it('renders a storm digest', async () => {
    const groups = Array.from({ length: 3 }, (_, i) =>
      payloadOf(`g${i}`, [
        { labels: { alertname: `Alert${i}`, severity: i === 0 ? 'critical' : 'warning' } },
      ]),
    );
    await expect(golden(renderDigest(groups, 'en'))).toMatchFileSnapshot('./golden/digest-en.json');
  });
});
