/** The post that stands for many new alert groups at once in a storm (alerts.stormThreshold). */
import { localize, type Locale } from '../core/i18n.ts';
import type { Message } from '../core/message.ts';
import { countText } from '../core/plural.ts';
import { escapeInline } from './escape.ts';
import type { WebhookPayload } from './payload.ts';
import { groupSeverity } from './render.ts';
import { alertTexts as t } from './texts.ts';

/**
 * Groups listed one per line; the rest are counted. A list longer than a post allows goes
 * into a file (render.ts of the adapter), so every group of a storm is named somewhere.
 */
const maxListed = 1000;

const emoji = { error: '🔴', warning: '🟠', info: '🔵', success: '✅' } as const;

export function renderDigest(groups: readonly WebhookPayload[], locale: Locale): Message {
  const lines = groups.slice(0, maxListed).map((p) => {
    const name = p.commonLabels['alertname'] ?? p.groupLabels['alertname'] ?? p.groupKey;
    const summary = p.commonAnnotations['summary'];
    const count = p.alerts.filter((a) => a.status === 'firing').length;
    const tail = summary === undefined ? '' : ` — ${escapeInline(summary, 120)}`;
    return `${emoji[groupSeverity(p)]} **${escapeInline(name, 80)}** (${count})${tail}`;
  });
  if (groups.length > maxListed) {
    lines.push(localize(t.more, locale, { count: groups.length - maxListed }));
  }
  lines.push(localize(t.stormHint, locale));
  const severe = groups.some((p) => groupSeverity(p) === 'error');
  return {
    severity: severe ? 'error' : 'warning',
    title: countText(t.storm, locale, groups.length),
    text: lines.join('\n'),
  };
}
