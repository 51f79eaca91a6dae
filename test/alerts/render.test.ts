/** Alert posts checked against golden files; hostile label values must stay inert. */
import { describe, expect, it } from 'vitest';
import { digestOrder, renderDigest, type DigestGroup } from '../../src/alerts/digest.ts';
import { digestForMatrix, digestForMattermost } from '../../src/alerts/digest-render.ts';
import { escapeInline, safeUrl } from '../../src/alerts/escape.ts';
import { mentionLine, renderAlertGroup } from '../../src/alerts/render.ts';
import { renderMessage } from '../../src/chat/mattermost/render.ts';
import { renderMessage as renderMatrix } from '../../src/chat/matrix/render.ts';
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

  it('renders a storm digest: firing, partly resolved, all resolved, in both languages', async () => {
    for (const locale of ['ru', 'en'] as const) {
      const states = {
        firing: stormGroups([]),
        partly: stormGroups(['DiskGone', 'CertSoon']),
        resolved: stormGroups(storm.map((s) => s.name)),
      };
      const mattermost: Record<string, unknown> = {};
      const matrix: Record<string, unknown> = {};
      for (const [state, groups] of Object.entries(states)) {
        const view = renderDigest(groups, { locale, silenceButtons: true });
        mattermost[state] = digestForMattermost(view, locale, binding);
        matrix[state] = renderMatrix(digestForMatrix(view, locale), locale);
      }
      await expect(golden(mattermost)).toMatchFileSnapshot(
        `./golden/digest-${locale}-mattermost.json`,
      );
      await expect(golden(matrix)).toMatchFileSnapshot(`./golden/digest-${locale}-matrix.json`);
    }
  });

  it('lists a digest critical first, then warning, then the others, then the resolved', () => {
    const view = renderDigest(stormGroups(['DiskGone']), { locale: 'en', silenceButtons: false });
    expect(view.groups.map((g) => /^\S+ (\w+)/.exec(g.title ?? '')?.[1])).toEqual([
      'PgDown',
      'QueueSlow',
      'MemHigh',
      'CertSoon',
    ]);
    expect(view.rest?.text).toContain('DiskGone');
    expect(digestOrder(stormGroups([])).map((g) => g.payload.commonLabels['alertname'])).toEqual([
      'PgDown',
      'DiskGone',
      'QueueSlow',
      'MemHigh',
      'CertSoon',
    ]);
  });

  it("puts each group's buttons on its own block, acting on its own thread", () => {
    const view = renderDigest(stormGroups([]), { locale: 'en', silenceButtons: true });
    const post = digestForMattermost(view, 'en', binding);
    const pg = post.attachments.find((a) => a.title?.includes('PgDown'));
    const ids = groupThreadIds();
    const commands = view.groups.find((g) => g.title?.includes('PgDown'))?.actions ?? [];
    expect(commands.map((a) => a.command)).toEqual([
      `alerts ack ${ids.PgDown}`,
      `silence "alertname=PgDown" "severity=critical" 1h --thread ${ids.PgDown}`,
      `silence "alertname=PgDown" "severity=critical" 4h --thread ${ids.PgDown}`,
      `silence "alertname=PgDown" "severity=critical" 1d --thread ${ids.PgDown}`,
      'restart moodle',
    ]);
    expect(pg?.actions?.map((a) => a.name)).toEqual([
      'Acknowledge',
      'Silence 1 h',
      'Silence 4 h',
      'Silence 1 d',
      'Restart moodle',
    ]);
    // A group someone acknowledged says who, and offers no Acknowledge any more.
    const acked = stormGroups([]).map((g) =>
      g.payload.commonLabels['alertname'] === 'QueueSlow'
        ? { ...g, thread: { id: g.thread.id, ackedBy: '@anna' } }
        : g,
    );
    const after = renderDigest(acked, { locale: 'en', silenceButtons: false });
    const queue = after.groups.find((g) => g.title?.includes('QueueSlow'));
    expect(queue?.text).toContain('Acknowledged by @\u200banna');
    expect(queue?.actions).toBeUndefined();
  });

  it('counts the groups still firing with the right plural forms', () => {
    const head = (firing: number, total: number, locale: 'ru' | 'en'): string => {
      const groups = Array.from({ length: total }, (_, i) => ({
        payload: payloadOf(
          `g${i}`,
          [{ labels: { alertname: `A${i}`, severity: 'warning' } }],
          i < firing ? 'firing' : 'resolved',
        ),
        thread: { id: i + 1, ackedBy: undefined },
        runbooks: [],
      }));
      return (
        renderDigest(groups, { locale, silenceButtons: false }).head.text?.split('\n')[0] ?? ''
      );
    };
    expect(head(3, 7, 'ru')).toBe('3 из 7 групп ещё активны');
    expect(head(1, 7, 'ru')).toBe('1 из 7 групп ещё активна');
    expect(head(1, 1, 'ru')).toBe('1 из 1 группы ещё активна');
    expect(head(21, 21, 'ru')).toBe('21 из 21 группы ещё активна');
    expect(head(2, 22, 'ru')).toBe('2 из 22 групп ещё активны');
    expect(head(3, 7, 'en')).toBe('3 of 7 groups still firing');
    expect(head(1, 1, 'en')).toBe('1 of 1 group still firing');
  });
});

const storm = [
  { name: 'QueueSlow', severity: 'warning' },
  { name: 'PgDown', severity: 'critical' },
  { name: 'CertSoon', severity: 'info' },
  { name: 'DiskGone', severity: 'critical' },
  { name: 'MemHigh', severity: 'warning' },
] as const;

function groupThreadIds(): Record<string, number> {
  return Object.fromEntries(storm.map((s, i) => [s.name, 11 + i]));
}

/** The groups of a storm in the order they joined; the named ones resolved. */
function stormGroups(resolved: readonly string[]): DigestGroup[] {
  const ids = groupThreadIds();
  return storm.map((s) => {
    const status = resolved.includes(s.name) ? ('resolved' as const) : ('firing' as const);
    return {
      payload: payloadOf(
        `{}:{alertname="${s.name}"}`,
        [
          {
            labels: { alertname: s.name, severity: s.severity },
            annotations: { summary: `${s.name} on node-1` },
          },
        ],
        status,
      ),
      thread: { id: ids[s.name] ?? 0, ackedBy: s.name === 'DiskGone' ? '@anna' : undefined },
      runbooks: s.name === 'PgDown' && status === 'firing' ? runbooks : [],
    };
  });
}
