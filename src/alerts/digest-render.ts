/**
 * The storm digest (digest.ts) for each messenger. Mattermost: one attachment for the head,
 * one per firing group with its buttons (a button acts on its own attachment's group, since
 * its command names the group's thread), one for the other groups. Matrix: one `m.notice`;
 * a reaction cannot say which group it is for, so each group's commands are written under
 * it to be typed (`!pes alerts ack 12`), and the digest offers no reaction menu.
 */
import { localize, type Locale } from '../core/i18n.ts';
import type { Message } from '../core/message.ts';
import { renderMessage, type ButtonBinding } from '../chat/mattermost/render.ts';
import type { RenderedPost } from '../chat/mattermost/types.ts';
import type { DigestView } from './digest.ts';
import { escapeInline } from './escape.ts';
import { alertTexts as t } from './texts.ts';

export function digestForMattermost(
  view: DigestView,
  locale: Locale,
  binding: ButtonBinding | undefined,
): RenderedPost {
  const parts = [view.head, ...view.groups, ...(view.rest === undefined ? [] : [view.rest])];
  const rendered = parts.map((m) => renderMessage(m, locale, binding));
  return {
    message: '',
    attachments: rendered.flatMap((r) => r.attachments),
    files: rendered.flatMap((r) => r.files),
  };
}

/** A command to type, as inline code unless a label value could end the code span. */
function typed(command: string): string {
  const line = `!pes ${command}`;
  return /[`\n]/.test(line) ? escapeInline(line, 2000) : `\`${line}\``;
}

export function digestForMatrix(view: DigestView, locale: Locale): Message {
  const lines: string[] = [];
  if (view.head.text !== undefined) lines.push(view.head.text);
  let silences = false;
  for (const group of view.groups) {
    lines.push('', `**${group.title ?? ''}**`);
    if (group.text !== undefined) lines.push(group.text);
    // One silence duration is written out; the note below says how to get the others.
    const actions = (group.actions ?? []).filter((a, i, all) => {
      if (!a.command.startsWith('silence ')) return true;
      return all.findIndex((b) => b.command.startsWith('silence ')) === i;
    });
    if (actions.some((a) => a.command.startsWith('silence '))) silences = true;
    if (actions.length > 0) {
      lines.push(actions.map((a) => `${a.label}: ${typed(a.command)}`).join(' · '));
    }
  }
  if (view.rest?.text !== undefined) lines.push('', view.rest.text);
  if (silences) lines.push('', localize(t.stormOtherDurations, locale));
  return {
    severity: view.head.severity,
    ...(view.head.title === undefined ? {} : { title: view.head.title }),
    text: lines.join('\n'),
  };
}
