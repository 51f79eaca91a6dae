/** How the terminal shows what happens while a command runs, and asks for confirmations. */
import { createInterface, type Interface } from 'node:readline/promises';
import type { ConfirmMode, InvocationSink, ProgressUpdate } from '../../core/invocation.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Message } from '../../core/message.ts';
import { plainInline, renderForTerminal } from './render.ts';

const texts = {
  proceed: { ru: 'Выполнить? [y/N] ', en: 'Proceed? [y/N] ' },
  job: { ru: 'задача', en: 'job' },
} as const;

const yes = new Set(['y', 'yes', 'д', 'да']);

export function isYes(answer: string): boolean {
  return yes.has(answer.trim().toLowerCase());
}

export interface TerminalStreams {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A prompt on the given readline interface, or one made for a single question. */
export function promptConfirm(locale: Locale, rl?: Interface): ConfirmMode {
  return {
    kind: 'prompt',
    ask: async (description) => {
      const own = rl ?? createInterface({ input: process.stdin, output: process.stdout });
      try {
        const question = `${plainInline(description)}\n${texts.proceed[locale]}`;
        return isYes(await own.question(question));
      } finally {
        if (rl === undefined) own.close();
      }
    },
  };
}

export function terminalSink(options: {
  streams: TerminalStreams;
  locale: Locale;
  json: boolean;
  confirm: ConfirmMode;
}): InvocationSink & { finish(): void } {
  const { streams, locale, json } = options;
  const live = streams.err.isTTY === true && !json;
  let lastText = '';
  let drawn = false;
  const clear = (): void => {
    if (drawn) streams.err.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    confirm: options.confirm,
    reply(message: Message) {
      clear();
      if (json) streams.out.write(JSON.stringify({ reply: message }) + '\n');
      else
        streams.out.write(
          renderForTerminal(message, { colour: streams.out.isTTY === true }) + '\n',
        );
    },
    progress(update: ProgressUpdate) {
      const line = `[${texts.job[locale]} ${update.jobId}] ${Math.round(update.fraction * 100)} % ${update.text}`;
      if (live) {
        streams.err.write(`\r\x1b[2K${line.slice(0, 200)}`);
        drawn = true;
      } else if (update.text !== lastText) {
        // Without a TTY every change of step is one line: readable in logs and CI output.
        streams.err.write(line + '\n');
      }
      lastText = update.text;
    },
    finish: clear,
  };
}
