/**
 * The post that stands for many new alert groups at once in a storm (alerts.stormThreshold).
 * It is edited as its groups change (delivery.ts), so it always tells how many of them still
 * fire. Firing groups come first, by severity (critical, then warning, then the others, as
 * render.ts reads the `severity` label), in the order they joined within one severity; the
 * resolved ones last. The firing groups at the top carry the buttons their own root would
 * (acknowledge, silence, runbooks); the others are listed one per line.
 */
import { localize, type Locale } from '../core/i18n.ts';
import type { Message, Severity } from '../core/message.ts';
import { countText } from '../core/plural.ts';
import type { RunbookConfig } from './config-schema.ts';
import { escapeInline } from './escape.ts';
import type { AlertThread } from './inbox.ts';
import type { WebhookPayload } from './payload.ts';
import { groupSeverity, renderAlertGroup } from './render.ts';
import { alertTexts as t } from './texts.ts';

/**
 * Groups listed one per line; the rest are counted. A list longer than a post allows goes
 * into a file (render.ts of the adapter), so every group of a storm is named somewhere.
 */
const maxListed = 1000;

/**
 * Firing groups shown with their buttons. Each is a block of its own in the post (a
 * Mattermost attachment, a paragraph in Matrix); more would bury the list under buttons.
 */
export const maxWithButtons = 10;

const emoji: Readonly<Record<Severity, string>> = {
  error: '🔴',
  warning: '🟠',
  info: '🔵',
  success: '✅',
};

const rank: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2, success: 3 };

/** One group of the digest: its newest notification and the state its buttons depend on. */
export interface DigestGroup {
  readonly payload: WebhookPayload;
  readonly thread: Pick<AlertThread, 'id' | 'ackedBy'>;
  /** A silence made for the group that still lasts. */
  readonly silenced?: { readonly until: string; readonly by: string } | undefined;
  /** The config's runbooks whose matchers the group satisfies. */
  readonly runbooks: readonly RunbookConfig[];
}

export interface DigestView {
  /** Title (how many groups), severity, how many still fire. */
  readonly head: Message;
  /** The firing groups with buttons, critical first: a title, its state and its actions. */
  readonly groups: readonly Message[];
  /** The other groups, one line each (further firing ones, then the resolved), if any. */
  readonly rest: Message | undefined;
}

export interface DigestOptions {
  readonly locale: Locale;
  /** Silence buttons (when Alertmanager's API is configured). */
  readonly silenceButtons: boolean;
}

/** Critical first, then warning, then the others, then the resolved; stable otherwise. */
export function digestOrder(groups: readonly DigestGroup[]): DigestGroup[] {
  return groups
    .map((g, i) => ({ g, i, r: rank[groupSeverity(g.payload)] }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.g);
}

function nameOf(p: WebhookPayload): string {
  const name = p.commonLabels['alertname'] ?? p.groupLabels['alertname'] ?? p.groupKey;
  // Groups of one alertname told apart by the other labels Alertmanager grouped them by.
  const others = Object.entries(p.groupLabels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${v}`);
  return [name, ...others].join(' · ');
}

function firingCount(p: WebhookPayload): number {
  return p.alerts.filter((a) => a.status === 'firing').length;
}

function line(g: DigestGroup, locale: Locale): string {
  const p = g.payload;
  const severity = groupSeverity(p);
  const name = `**${escapeInline(nameOf(p), 80)}**`;
  if (p.status === 'resolved')
    return `${emoji.success} ${name} — ${localize(t.stormResolvedLine, locale)}`;
  const summary = p.commonAnnotations['summary'];
  const tail = summary === undefined ? '' : ` — ${escapeInline(summary, 120)}`;
  return `${emoji[severity]} ${name} (${firingCount(p)})${tail}`;
}

/** A firing group as a block: its name as the title, summary and state, its root's buttons. */
function block(g: DigestGroup, options: DigestOptions): Message {
  const { locale } = options;
  const p = g.payload;
  // The same buttons as the group's own root (render.ts), so the two cannot drift apart.
  const { actions } = renderAlertGroup(p, {
    locale,
    runbooks: g.runbooks,
    silenceButtons: options.silenceButtons,
    acknowledge: { threadId: g.thread.id, by: g.thread.ackedBy },
  });
  const severity = groupSeverity(p);
  const summary = p.commonAnnotations['summary'];
  const text: string[] = summary === undefined ? [] : [escapeInline(summary, 160)];
  if (g.thread.ackedBy !== undefined) {
    text.push(localize(t.ackedBy, locale, { who: escapeInline(g.thread.ackedBy, 80) }));
  }
  if (g.silenced !== undefined) {
    const who = escapeInline(g.silenced.by, 80);
    text.push(localize(t.silencedUntil, locale, { until: g.silenced.until, who }));
  }
  return {
    severity,
    title: `${emoji[severity]} ${escapeInline(nameOf(p), 80)} (${firingCount(p)})`,
    ...(text.length === 0 ? {} : { text: text.join('\n') }),
    ...(actions === undefined ? {} : { actions }),
  };
}

export function renderDigest(groups: readonly DigestGroup[], options: DigestOptions): DigestView {
  const { locale } = options;
  const ordered = digestOrder(groups);
  const firing = ordered.filter((g) => g.payload.status === 'firing');
  const total = groups.length;
  const top = firing[0];
  const hint = localize(t.stormHint, locale);
  const head: Message =
    top === undefined
      ? { severity: 'success', title: countText(t.stormOver, locale, total), text: hint }
      : {
          severity: groupSeverity(top.payload),
          title: countText(t.storm, locale, total),
          text: [
            countText(t.stormFiring, locale, firing.length, {
              groups: countText(t.stormOfGroups, locale, total),
            }),
            hint,
          ].join('\n'),
        };
  const withButtons = firing.slice(0, maxWithButtons);
  const others = ordered.filter((g) => !withButtons.includes(g));
  const lines = others.slice(0, maxListed).map((g) => line(g, locale));
  if (others.length > maxListed) {
    lines.push(localize(t.more, locale, { count: others.length - maxListed }));
  }
  return {
    head,
    groups: withButtons.map((g) => block(g, options)),
    rest:
      lines.length === 0
        ? undefined
        : {
            severity: firing.length > withButtons.length ? 'info' : 'success',
            text: lines.join('\n'),
          },
  };
}
