/** The card of a plugin request in the admins' room, as it is now (edited at each decision). */
import { approvalsOf, type Approval } from '../core/approvals.ts';
import { formatTime } from '../core/format.ts';
import { localize, type Locale } from '../core/i18n.ts';
import type { Field, Message } from '../core/message.ts';
import { countText } from '../core/plural.ts';
import { maturityNames } from './directory-types.ts';
import type { PluginRequest } from './requests.ts';
import { pluginTexts as t, pluginVotesText, supportersText } from './texts.ts';

export interface CardContext {
  readonly locale: Locale;
  readonly timeZone: string | undefined;
  readonly nameOf: (actorId: string) => string;
  /** The bot installs approved requests (else the card says to install by hand). */
  readonly installing?: boolean;
}

export function directoryLink(component: string): string {
  return `https://moodle.org/plugins/${component}`;
}

function size(bytes: number | undefined, locale: Locale): string | undefined {
  if (bytes === undefined) return undefined;
  const kib = bytes / 1024;
  return kib < 1024
    ? `${kib.toFixed(0)} KiB`
    : `${(kib / 1024).toFixed(1)} MiB`.replace('.', locale === 'ru' ? ',' : '.');
}

export function requestCard(
  request: PluginRequest,
  approval: Approval | undefined,
  c: CardContext,
): Message {
  const { locale } = c;
  const at = (d: Date): string => formatTime(d, { timeZone: c.timeZone });
  const f = request.facts;
  const unknown = localize(t.unknown, locale);
  const params = {
    id: request.id,
    name: request.name,
    component: request.component,
    until: approval === undefined ? '—' : at(approval.expiresAt),
  };
  const asked = request.supporters
    .map((s) =>
      localize(t.askedLine, locale, {
        who: c.nameOf(s.actor),
        at: at(s.at),
        why: s.reason === '' ? localize(t.noReason, locale) : s.reason.slice(0, 300),
      }),
    )
    .join('\n');
  const votes =
    approval === undefined
      ? []
      : [
          countText(pluginVotesText, locale, approvalsOf(approval), { needed: approval.needed }),
          ...approval.votes.map(
            (v) =>
              `${v.verdict === 'approve' ? '✅' : '✖'} ${c.nameOf(v.actor)} — ${at(v.at)}${v.reason === '' ? '' : `: ${v.reason}`}`,
          ),
        ];
  const fields: Field[] = [
    {
      label: localize(t.version, locale),
      value: f.release === undefined ? unknown : `${f.release} (${f.version ?? '?'})`,
      short: true,
    },
    { label: localize(t.supports, locale), value: f.supports.join(', ') || unknown, short: true },
    {
      label: localize(t.maturity, locale),
      value: f.maturity === undefined ? unknown : (maturityNames[f.maturity] ?? String(f.maturity)),
      short: true,
    },
    { label: localize(t.size, locale), value: size(f.size, locale) ?? unknown, short: true },
    { label: localize(t.md5, locale), value: f.md5 ?? unknown },
    { label: localize(t.link, locale), value: directoryLink(request.component) },
    {
      label: `${localize(t.asked, locale)} (${countText(supportersText, locale, request.supporters.length)})`,
      value: asked,
    },
    ...(votes.length === 0 ? [] : [{ label: localize(t.votes, locale), value: votes.join('\n') }]),
  ];
  const open = request.state === 'pending' && approval?.state === 'pending';
  const cached =
    f.cachedAt === undefined ? [] : [localize(t.cached, locale, { at: at(new Date(f.cachedAt)) })];
  return {
    severity: open ? 'warning' : request.state === 'approved' ? 'success' : 'info',
    title: localize(t.cardTitle, locale, params),
    text: [
      localize(
        request.state === 'approved' && c.installing === true
          ? t.cardInstalling
          : t.cardState[request.state],
        locale,
        params,
      ),
      ...cached,
    ].join('\n'),
    fields,
    ...(open
      ? {
          actions: [
            {
              label: locale === 'ru' ? 'Одобрить' : 'Approve',
              style: 'primary',
              command: `plugin approve ${request.id}`,
            },
            {
              label: locale === 'ru' ? 'Отклонить' : 'Reject',
              style: 'danger',
              command: `plugin reject ${request.id}`,
            },
          ],
        }
      : {}),
  };
}
