/** One command from the terminal, through the same invocation path as chat. */
import type { App } from '../app.ts';
import type { Locale } from '../core/i18n.ts';
import { isProcessAlive } from '../store/jobs-repo.ts';
import { renderForTerminal } from '../chat/terminal/render.ts';
import { promptConfirm, terminalSink } from '../chat/terminal/sink.ts';

export interface OnceOptions {
  readonly text: string;
  readonly actorId: string;
  readonly json: boolean;
  readonly yes: boolean;
  readonly lang: Locale | undefined;
}

export async function runOnce(app: App, options: OnceOptions): Promise<number> {
  const room = { id: 'terminal' };
  const locale = app.bot.localeFor({ room, locale: options.lang });
  // A terminal command is a process of its own: jobs left by a dead one are settled here too.
  app.bot.recover(isProcessAlive);
  const sink = terminalSink({
    streams: { out: process.stdout, err: process.stderr },
    locale,
    json: options.json,
    confirm: process.stdin.isTTY && !options.json ? promptConfirm(locale) : { kind: 'refuse' },
  });
  const outcome = await app.bot.invoke(
    {
      actorId: options.actorId,
      displayName: options.actorId,
      room,
      source: 'terminal',
      text: options.text,
      locale,
      preconfirmed: options.yes,
    },
    sink,
  );
  sink.finish();
  if (options.json) {
    process.stdout.write(JSON.stringify(outcome) + '\n');
  } else {
    const stream =
      outcome.status === 'ok' || outcome.status === 'pending' ? process.stdout : process.stderr;
    stream.write(renderForTerminal(outcome.message, { colour: stream.isTTY }) + '\n');
  }
  return outcome.exitCode;
}
