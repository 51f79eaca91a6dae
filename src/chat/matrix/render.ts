/**
 * The neutral Message as a Matrix `m.notice`: a plain `body` and an HTML `formatted_body`
 * (title, text, fields, code block), a reaction menu with a text fallback for actions, and
 * files for output too long for an event. `m.mentions` is always set and empty: the bot
 * never mentions anyone by itself (spec 1.7+, intentional mentions).
 */
import { localize, type Locale } from '../../core/i18n.ts';
import type { Action, Message, Severity } from '../../core/message.ts';
import { codeHtml, escapeHtml, inlineHtml, inlinePlain, neutralizeMentions } from './html.ts';
import type { EncryptedFile } from './attachment.ts';
import { matrixTexts } from './texts.ts';
import type { Content, FileToUpload, ReactionAction, RenderedEvent } from './types.ts';

export const severityEmoji: Readonly<Record<Severity, string>> = {
  info: 'ℹ️',
  success: '✅',
  warning: '⚠️',
  error: '❌',
};

/**
 * An event may be at most 65 536 bytes as JSON (spec: Size limits); body and HTML together
 * stay well below that, or the code block goes into a file.
 */
export const maxContentBytes = 40_000;
const previewChars = 3000;

const numbered = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣', '6️⃣', '7️⃣', '8️⃣', '9️⃣'];

/** The reaction for each action: ✅ confirm, ❌ decline, 👀 acknowledge, else 1️⃣ 2️⃣ …. */
export function reactionKeys(actions: readonly Action[]): ReactionAction[] {
  let next = 0;
  const out: ReactionAction[] = [];
  for (const action of actions) {
    const fixed = /^confirm\s/i.test(action.command)
      ? '✅'
      : /^decline\s/i.test(action.command)
        ? '❌'
        : /^alerts\s+ack\s/i.test(action.command)
          ? '👀'
          : undefined;
    const key = fixed ?? numbered[next++];
    if (key === undefined || out.some((a) => a.key === key)) continue;
    out.push({ key, command: action.command });
  }
  return out;
}

/** Reaction keys compared without the emoji variation selector (clients differ there). */
export function sameReaction(a: string, b: string): boolean {
  const strip = (s: string): string => s.replace(/\uFE0F/g, '').trim();
  return strip(a) === strip(b);
}

function preview(content: string): string {
  if (content.length <= previewChars) return content;
  const cut = content.lastIndexOf('\n', previewChars);
  return content.slice(0, cut > 0 ? cut : previewChars) + '\n…';
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function renderMessage(message: Message, locale: Locale): RenderedEvent {
  const files: FileToUpload[] = (message.files ?? []).map((f) => ({
    name: f.name,
    content: f.content,
    mimetype: 'text/plain',
  }));
  const plain: string[] = [];
  const html: string[] = [];
  const title = message.title === undefined ? undefined : neutralizeMentions(message.title);
  const text = neutralizeMentions(message.text ?? '');
  // A head that brings its own mark (an alert's 🔴, a progress post's ⏳) gets no second one.
  const first = title ?? text;
  const mark = /^\p{Extended_Pictographic}/u.test(first)
    ? ''
    : `${severityEmoji[message.severity]} `;
  if (title !== undefined) {
    plain.push(`${mark}${title}`);
    html.push(`<strong>${escapeHtml(`${mark}${title}`)}</strong>`);
  }
  if (text !== '') {
    plain.push((title === undefined ? mark : '') + inlinePlain(text));
    html.push((title === undefined ? escapeHtml(mark) : '') + inlineHtml(text));
  }
  for (const field of message.fields ?? []) {
    const label = neutralizeMentions(field.label);
    const value = neutralizeMentions(field.value);
    plain.push(`${inlinePlain(label)}: ${inlinePlain(value)}`);
    html.push(`<strong>${inlineHtml(label)}</strong>: ${inlineHtml(value)}`);
  }
  const actions = reactionKeys(message.actions ?? []);
  if (actions.length > 0) {
    const menu = actions
      .map((a) => {
        const label = message.actions?.find((x) => x.command === a.command)?.label ?? a.command;
        return `${a.key} ${neutralizeMentions(label)}`;
      })
      .join(' · ');
    const commands = actions.map((a) => `!pes ${a.command}`);
    plain.push(localize(matrixTexts.reactions, locale, { menu, commands: commands.join(' · ') }));
    html.push(
      escapeHtml(localize(matrixTexts.reactions, locale, { menu, commands: '\u0000' })).replace(
        '\u0000',
        commands.map((c) => `<code>${escapeHtml(c)}</code>`).join(' · '),
      ),
    );
  }
  const code = message.code;
  const head = { plain: plain.join('\n'), html: html.join('<br>') };
  let tail = { plain: '', html: '' };
  if (code !== undefined) {
    const whole = {
      plain: code.content.replace(/\n$/, ''),
      html: codeHtml(code.content, code.language),
    };
    if (
      bytes(head.plain) + bytes(head.html) + bytes(whole.plain) + bytes(whole.html) <=
      maxContentBytes
    ) {
      tail = whole;
    } else {
      const name = `output.${code.language ?? 'txt'}`;
      files.push({ name, content: code.content, mimetype: 'text/plain' });
      const note = localize(matrixTexts.fullOutput, locale, { file: name });
      const shown = preview(code.content);
      tail = {
        plain: `${shown.replace(/\n$/, '')}\n${note}`,
        html: `${codeHtml(shown, code.language)}${escapeHtml(note)}`,
      };
    }
  }
  let body = [head.plain, tail.plain].filter((p) => p !== '').join('\n');
  let formatted = head.html + tail.html;
  if (bytes(body) + bytes(formatted) > maxContentBytes) {
    // Even without the code block the text is too long: all of it into a file.
    files.push({ name: 'message.txt', content: body, mimetype: 'text/plain' });
    const note = localize(matrixTexts.fullOutput, locale, { file: 'message.txt' });
    const shown = preview(body);
    body = `${shown}\n${note}`;
    formatted = `${escapeHtml(shown).replace(/\n/g, '<br>')}<br>${escapeHtml(note)}`;
  }
  const content: Content = {
    msgtype: 'm.notice',
    body,
    format: 'org.matrix.custom.html',
    formatted_body: formatted,
    'm.mentions': {},
  };
  return { content, files, actions };
}

/**
 * The `m.file` content for an uploaded file (spec: m.file): a plain `url`, or in an
 * encrypted room the `file` object with its key (attachment.ts).
 */
export function fileContent(
  file: FileToUpload,
  ref: { url: string } | { file: EncryptedFile },
): Content {
  return {
    msgtype: 'm.file',
    body: file.name,
    filename: file.name,
    ...ref,
    info: { mimetype: file.mimetype, size: Buffer.byteLength(file.content, 'utf8') },
    'm.mentions': {},
  };
}
