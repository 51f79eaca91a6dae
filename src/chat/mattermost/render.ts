/**
 * The neutral Message as a Mattermost post: one attachment coloured by severity, with the
 * title, the text (Mattermost markdown), a fenced code block, fields, and interactive buttons
 * for actions. Output longer than a post allows goes into a file.
 */
import type { Locale } from '../../core/i18n.ts';
import { localize } from '../../core/i18n.ts';
import type { Action, Message, Severity } from '../../core/message.ts';
import { actionIdOf, confirmationCodeOf, signActionContext } from './action-context.ts';
import { mattermostTexts } from './texts.ts';
import { maxPostLength, type FileToUpload, type MmAction, type RenderedPost } from './types.ts';

export const severityColours: Readonly<Record<Severity, string>> = {
  info: '#2389d7',
  success: '#3db887',
  warning: '#ffbc1f',
  error: '#d24b4e',
};

/** Where buttons point and how their context is signed; absent means no buttons. */
export interface ButtonBinding {
  readonly url: string;
  readonly secret: string;
  readonly channel: string;
  readonly root: string;
}

/** Lines of a long output kept in the post when the rest goes into a file. */
const previewChars = 3000;

/**
 * @channel, @here and @all in text that came from commands or services would notify a whole
 * channel; a zero-width space keeps them readable and silent.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(all|channel|here)\b/gi, '@\u200b$1');
}

/** A fence longer than any run of backticks inside, so the content cannot close it. */
export function fenced(content: string, language = ''): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${content.replace(/\n$/, '')}\n${fence}`;
}

function buttonStyle(style: Action['style']): string {
  return style === 'danger' ? 'danger' : style === 'primary' ? 'primary' : 'default';
}

function buttons(actions: readonly Action[], binding: ButtonBinding, title: string): MmAction[] {
  // Named by what they run, never by their place (action-context.ts); a command offered twice
  // is one button.
  const seen = new Set<string>();
  const unique = actions.filter((action) => {
    const id = actionIdOf(action.command);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique.map((action) => ({
    id: actionIdOf(action.command),
    name: action.label,
    type: 'button',
    style: buttonStyle(action.style),
    integration: {
      url: binding.url,
      context: signActionContext(binding.secret, {
        command: action.command,
        code: confirmationCodeOf(action.command),
        channel: binding.channel,
        root: binding.root,
        title: title.slice(0, 500),
      }),
    },
  }));
}

function preview(content: string): string {
  if (content.length <= previewChars) return content;
  const cut = content.lastIndexOf('\n', previewChars);
  return content.slice(0, cut > 0 ? cut : previewChars) + '\n…';
}

export function renderMessage(
  message: Message,
  locale: Locale,
  binding?: ButtonBinding,
): RenderedPost {
  const title = message.title === undefined ? undefined : neutralizeMentions(message.title);
  const files: FileToUpload[] = (message.files ?? []).map((f) => ({ ...f }));
  const text = neutralizeMentions(message.text ?? '');
  const parts = text === '' ? [] : [text];
  const actions = message.actions ?? [];
  if (actions.length > 0 && binding === undefined) {
    const commands = actions.map((a) => `\`${a.command}\``).join(' · ');
    if (!actions.every((a) => text.includes(a.command))) {
      parts.push(localize(mattermostTexts.commandsFallback, locale, { commands }));
    }
  }
  if (message.code !== undefined) {
    const code = message.code;
    const whole = [...parts, fenced(code.content, code.language)].join('\n');
    if (whole.length + (title?.length ?? 0) <= maxPostLength) {
      parts.push(fenced(code.content, code.language));
    } else {
      const name = `output.${code.language ?? 'txt'}`;
      files.push({ name, content: code.content });
      parts.push(fenced(preview(code.content), code.language));
      parts.push(localize(mattermostTexts.fullOutput, locale, { file: name }));
    }
  }
  let body = parts.join('\n');
  if (body.length > maxPostLength) {
    files.push({ name: 'message.txt', content: body });
    const note = localize(mattermostTexts.fullOutput, locale, { file: 'message.txt' });
    body = `${preview(body)}\n${note}`;
  }
  const firstLine = (message.text ?? '').split('\n')[0] ?? '';
  const fallback = [message.title, firstLine].filter((s) => s !== undefined && s !== '').join(': ');
  const fields = (message.fields ?? []).map((f) => ({
    title: neutralizeMentions(f.label),
    value: neutralizeMentions(f.value),
    short: f.short ?? false,
  }));
  return {
    message: '',
    attachments: [
      {
        fallback: neutralizeMentions(fallback).slice(0, 300),
        color: severityColours[message.severity],
        ...(title === undefined ? {} : { title }),
        ...(body === '' ? {} : { text: body }),
        ...(fields.length === 0 ? {} : { fields }),
        ...(actions.length > 0 && binding !== undefined
          ? { actions: buttons(actions, binding, message.title ?? firstLine) }
          : {}),
      },
    ],
    files,
  };
}
