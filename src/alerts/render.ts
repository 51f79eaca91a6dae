/**
 * An alert group's notification as a neutral Message: severity colour and emoji, summary and
 * description, the labels that matter in a fixed order, and links. Every value from the
 * payload goes through escape.ts; only the bot's own words and config-given commands do not.
 */
import { localize, type Locale } from '../core/i18n.ts';
import type { Action, Field, Message, Severity } from '../core/message.ts';
import { countText } from '../core/plural.ts';
import type { RunbookConfig } from './config-schema.ts';
import { escapeBlock, escapeInline, safeUrl } from './escape.ts';
import type { WebhookAlert, WebhookPayload } from './payload.ts';
import { silenceCommand } from './silence-spec.ts';
import { alertTexts as t } from './texts.ts';

const silenceDurations = [
  { value: '1h', label: { ru: '1 ч', en: '1 h' } },
  { value: '4h', label: { ru: '4 ч', en: '4 h' } },
  { value: '1d', label: { ru: '1 д', en: '1 d' } },
] as const;

/** The labels shown as fields, in this order; the others stay in Alertmanager. */
export const shownLabels = ['alertname', 'severity', 'service', 'instance', 'job'] as const;

/** Alerts listed one per line in a post; the rest are counted. */
const maxListed = 10;

const severityOf: Readonly<Record<string, Severity>> = {
  critical: 'error',
  page: 'error',
  error: 'error',
  warning: 'warning',
  warn: 'warning',
};

const emojiOf: Readonly<Record<Severity, string>> = {
  error: '🔴',
  warning: '🟠',
  info: '🔵',
  success: '✅',
};

export function groupSeverity(payload: WebhookPayload): Severity {
  if (payload.status === 'resolved') return 'success';
  const levels = payload.alerts
    .filter((a) => a.status === 'firing')
    .map((a) => severityOf[(a.labels['severity'] ?? '').toLowerCase()] ?? 'info');
  if (levels.includes('error')) return 'error';
  if (levels.includes('warning')) return 'warning';
  return 'info';
}

/** Whether any firing alert of the group is critical (for `@channel` and quiet hours). */
export function isCritical(payload: WebhookPayload): boolean {
  return payload.status === 'firing' && groupSeverity(payload) === 'error';
}

/**
 * Mattermost renders links in attachment titles, so the name is escaped like any value; the
 * emoji and the state are the bot's own words.
 */
function titleOf(prefix: string, name: string): string {
  return `${prefix} · ${escapeInline(name, 150)}`;
}

function link(label: string, url: string | undefined): string | undefined {
  const safe = url === undefined ? undefined : safeUrl(url);
  return safe === undefined ? undefined : `[${label}](${safe})`;
}

/** The Alertmanager UI filtered to the group, e.g. `…/#/alerts?filter={alertname="X"}`. */
export function alertmanagerLink(payload: WebhookPayload): string | undefined {
  if (payload.externalURL === '') return undefined;
  const matchers = Object.entries(payload.groupLabels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  const base = payload.externalURL.replace(/\/+$/, '');
  return `${base}/#/alerts?filter=${encodeURIComponent(`{${matchers}}`)}`;
}

function links(payload: WebhookPayload, first: WebhookAlert | undefined, locale: Locale): string {
  const a = first?.annotations ?? {};
  const common = payload.commonAnnotations;
  return [
    link(localize(t.source, locale), first?.generatorURL),
    link(localize(t.runbook, locale), common['runbook_url'] ?? a['runbook_url']),
    link(localize(t.dashboard, locale), common['dashboard'] ?? a['dashboard']),
    link(localize(t.alertmanager, locale), alertmanagerLink(payload)),
  ]
    .filter((l) => l !== undefined)
    .join(' · ');
}

function alertLine(alert: WebhookAlert): string {
  const emoji = alert.status === 'resolved' ? emojiOf.success : '•';
  const who = alert.labels['instance'] ?? alert.labels['service'] ?? alert.fingerprint;
  const summary = alert.annotations['summary'] ?? alert.labels['alertname'] ?? '';
  return `${emoji} ${escapeInline(who, 80)} — ${escapeInline(summary, 160)}`;
}

export interface RenderOptions {
  readonly locale: Locale;
  /** Buttons of the config's runbooks whose matchers the group satisfies. */
  readonly runbooks?: readonly RunbookConfig[];
  /** Silence 1 h / 4 h / 1 d buttons (when Alertmanager's API is configured). */
  readonly silenceButtons?: boolean;
  /** The thread's id for the Acknowledge button, and who acknowledged (then no button). */
  readonly acknowledge?: { readonly threadId: number; readonly by: string | undefined };
  /** A silence made from the post's buttons that still lasts. */
  readonly silenced?: { readonly until: string; readonly by: string };
}

export function renderAlertGroup(payload: WebhookPayload, options: RenderOptions): Message {
  const { locale } = options;
  const severity = groupSeverity(payload);
  const firing = payload.alerts.filter((a) => a.status === 'firing').length;
  const resolved = payload.alerts.length - firing;
  const name =
    payload.commonLabels['alertname'] ??
    payload.groupLabels['alertname'] ??
    payload.alerts[0]?.labels['alertname'] ??
    payload.groupKey;
  const state =
    payload.status === 'resolved'
      ? localize(t.resolved, locale)
      : `${localize(t.firing, locale)} ${firing}`;
  const title = titleOf(`${emojiOf[severity]} ${state}`, name);

  const first = payload.alerts.find((a) => a.status === 'firing') ?? payload.alerts[0];
  const summary = payload.commonAnnotations['summary'] ?? first?.annotations['summary'];
  const description = payload.commonAnnotations['description'] ?? first?.annotations['description'];
  const parts: string[] = [];
  if (summary !== undefined) parts.push(`**${escapeInline(summary)}**`);
  if (description !== undefined) parts.push(escapeBlock(description));
  if (payload.alerts.length > 1) {
    parts.push(
      localize(t.firingCount, locale, {
        firing: countText(t.firingAlerts, locale, firing),
        resolved: countText(t.resolvedAlerts, locale, resolved),
      }),
    );
    parts.push(...payload.alerts.slice(0, maxListed).map(alertLine));
    if (payload.alerts.length > maxListed) {
      parts.push(localize(t.more, locale, { count: payload.alerts.length - maxListed }));
    }
  }
  if (payload.truncatedAlerts > 0) {
    parts.push(countText(t.truncated, locale, payload.truncatedAlerts));
  }
  const ack = options.acknowledge;
  if (ack?.by !== undefined)
    parts.push(localize(t.ackedBy, locale, { who: escapeInline(ack.by, 80) }));
  const silenced = options.silenced;
  if (silenced !== undefined) {
    const who = escapeInline(silenced.by, 80);
    parts.push(localize(t.silencedUntil, locale, { until: silenced.until, who }));
  }
  const linkLine = links(payload, first, locale);
  if (linkLine !== '') parts.push(linkLine);

  const labels = { ...first?.labels, ...payload.commonLabels };
  const fields: Field[] = shownLabels
    .filter((label) => labels[label] !== undefined && labels[label] !== '')
    .map((label) => ({ label, value: escapeInline(labels[label] ?? '', 120), short: true }));
  const silences: Action[] =
    options.silenceButtons === true && payload.status === 'firing'
      ? silenceDurations.map((d) => ({
          label: localize(t.silenceFor, locale, { duration: d.label[locale] }),
          style: 'default',
          // The group's common labels: the silence covers exactly this group's alerts.
          command: silenceCommand(payload.commonLabels, d.value, options.acknowledge?.threadId),
        }))
      : [];
  const ackButton: Action[] =
    ack !== undefined && ack.by === undefined && payload.status === 'firing'
      ? [
          {
            label: localize(t.acknowledge, locale),
            style: 'primary',
            command: `alerts ack ${ack.threadId}`,
          },
        ]
      : [];
  const actions: Action[] = [
    ...ackButton,
    ...silences,
    ...(options.runbooks ?? []).map((r): Action => ({
      label: r.label,
      style: 'default',
      command: r.command,
    })),
  ];
  return {
    severity,
    title,
    text: parts.join('\n'),
    ...(fields.length === 0 ? {} : { fields }),
    ...(actions.length === 0 ? {} : { actions }),
  };
}

/** The text above the attachment: mentions from the config, `@channel` when critical. */
export function mentionLine(
  payload: WebhookPayload,
  target: { readonly mentions: readonly string[]; readonly channelOnCritical: boolean },
): string {
  if (payload.status !== 'firing') return '';
  const all = [...target.mentions];
  if (target.channelOnCritical && isCritical(payload)) all.unshift('@channel');
  return all.join(' ');
}
