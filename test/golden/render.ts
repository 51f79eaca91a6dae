/**
 * A post as people see it, three times: in a terminal without colour, as a Mattermost post
 * (the attachment's parts and its buttons), and as a Matrix event (the plain body and the
 * HTML). Goldens hold these, so that a wording or a rendering fault shows in review.
 */
import { renderMessage as renderMattermost } from '../../src/chat/mattermost/render.ts';
import { renderMessage as renderMatrix } from '../../src/chat/matrix/render.ts';
import { renderForTerminal } from '../../src/chat/terminal/render.ts';
import type { Locale } from '../../src/core/i18n.ts';
import type { Message } from '../../src/core/message.ts';

const binding = {
  url: 'https://pes.example/mattermost/actions',
  secret: 'golden-secret',
  channel: 'ops',
  root: '',
};

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
}

export function terminalView(message: Message): string {
  return renderForTerminal(message, { colour: false });
}

export function mattermostView(message: Message, locale: Locale): string {
  const post = renderMattermost(message, locale, binding);
  const lines: string[] = [];
  for (const a of post.attachments) {
    lines.push(`[${a.color}]`);
    if (a.title !== undefined) lines.push(`title: ${a.title}`);
    if (a.text !== undefined) lines.push(`text:\n${indent(a.text)}`);
    for (const f of a.fields ?? []) lines.push(`field ${f.title}: ${f.value}`);
    const buttons = (a.actions ?? []).map((b) => `[${b.name} (${b.style})]`);
    if (buttons.length > 0) lines.push(`buttons: ${buttons.join(' ')}`);
  }
  for (const f of post.files) lines.push(`file: ${f.name}`);
  return lines.join('\n');
}

export function matrixView(message: Message, locale: Locale): string {
  const event = renderMatrix(message, locale);
  const body = typeof event.content['body'] === 'string' ? event.content['body'] : '';
  const html = event.content['formatted_body'];
  const lines = [`body:\n${indent(body)}`];
  if (typeof html === 'string') lines.push(`html:\n${indent(html)}`);
  for (const f of event.files) lines.push(`file: ${f.name}`);
  return lines.join('\n');
}

/** All three renderings of one message, under headings. */
export function allViews(message: Message, locale: Locale, note = ''): string {
  return [
    `--- terminal${note}`,
    terminalView(message),
    `--- mattermost${note}`,
    mattermostView(message, locale),
    `--- matrix${note}`,
    matrixView(message, locale),
  ].join('\n');
}
