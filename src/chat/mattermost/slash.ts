/**
 * A slash command (`/pes backup moodle`). Mattermost waits for the HTTP answer and shows it
 * (Slash Commands reference: 200 with `response_type` ephemeral or in_channel), so the
 * answer comes within a short deadline: the result itself when the command is quick, else
 * an ephemeral acknowledgement, and the result is posted by the bot through the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { Bot } from '../../core/bot.ts';
import { UserError } from '../../core/errors.ts';
import { localize } from '../../core/i18n.ts';
import type { Logger } from '../../core/logger.ts';
import { knownSecret } from '../../core/secret-compare.ts';
import type { Message } from '../../core/message.ts';
import type { Outcome } from '../../core/outcome.ts';
import { takeLangFlag } from '../lang-flag.ts';
import type { PeopleDirectory } from '../people/directory.ts';
import { speakerOf, type Speaker } from '../people/speaker.ts';
import { refusalOutcome } from '../refusals.ts';
import { isDirectChannelName, isServed, parseSlashRequest, type SlashRequest } from './inbound.ts';
import type { MattermostOutbox } from './outbox-writer.ts';
import { decisionCode, editDecidedPrompt } from './prompt-story.ts';
import { isPrivateAnswer, MattermostSink, type ConversationTarget } from './sink.ts';
import { mattermostTexts } from './texts.ts';
import type { MattermostSettings, RenderedPost } from './types.ts';

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface SlashDeps {
  readonly settings: MattermostSettings;
  readonly bot: Bot;
  readonly outbox: MattermostOutbox;
  readonly render: (message: Message, target: ConversationTarget) => RenderedPost;
  readonly log: Logger;
  /** Names and languages of the people who type commands. */
  readonly people?: PeopleDirectory;
  /** How long the answer may wait for the result before acknowledging instead. */
  readonly replyWithinMs: number;
  readonly progressIntervalMs?: number;
}

/** Whether `given` is one of the configured slash tokens (in constant time). */
export function isKnownToken(given: string, tokens: readonly string[]): boolean {
  return knownSecret(given, tokens);
}

function answerBody(rendered: RenderedPost, responseType: 'ephemeral' | 'in_channel'): unknown {
  return { response_type: responseType, text: rendered.message, attachments: rendered.attachments };
}

function timeout(ms: number): { promise: Promise<undefined>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export async function answerSlash(
  form: URLSearchParams,
  headerToken: string | undefined,
  deps: SlashDeps,
): Promise<HttpAnswer> {
  const request = parseSlashRequest(form, headerToken);
  // The token is checked before anything else is looked at: a wrong one runs nothing.
  const token = form.get('token') ?? headerToken ?? '';
  if (!isKnownToken(token, deps.settings.slashTokens)) {
    return { status: 401, body: { text: mattermostTexts.badToken.en } };
  }
  if (request === undefined)
    return { status: 400, body: { text: 'malformed slash command request' } };
  const room = { id: `mattermost:${request.channelId}`, name: request.channelName };
  const speaker = await speakerOf(
    deps.people,
    `mattermost:${request.userId}`,
    `@${request.userName}`,
  );
  // Only the person reads this refusal: their own language.
  const locale = speaker.personLocale ?? deps.bot.localeFor({ room });
  const direct = isDirectChannelName(request.channelName);
  const target: ConversationTarget = {
    channelId: request.channelId,
    root: request.rootId,
    userId: request.userId,
    direct,
  };
  if (!isServed(deps.settings, request.channelId, direct)) {
    deps.log.warn('slash command from a channel not served', { channel: request.channelId });
    const error = new UserError('mattermost-channel-not-served');
    const text = [error.text(locale), error.hint(locale)].join('\n');
    return { status: 200, body: { response_type: 'ephemeral', text } };
  }
  return run(request, target, speaker, deps);
}

async function run(
  request: SlashRequest,
  target: ConversationTarget,
  speaker: Speaker,
  deps: SlashDeps,
): Promise<HttpAnswer> {
  const room = { id: `mattermost:${request.channelId}`, name: request.channelName };
  const flag = takeLangFlag(request.text);
  if (flag instanceof UserError) {
    const locale = speaker.personLocale ?? deps.bot.localeFor({ room });
    const rendered = deps.render(refusalOutcome(flag, locale).message, target);
    return { status: 200, body: answerBody(rendered, 'ephemeral') };
  }
  // A direct chat is the person's own: all of it is in their language.
  const asked = flag.locale ?? (target.direct ? speaker.personLocale : undefined);
  const locale = asked ?? deps.bot.localeFor({ room });
  const sink = new MattermostSink({
    outbox: deps.outbox,
    target,
    key: `slash:${randomUUID()}`,
    locale,
    render: deps.render,
    log: deps.log,
    ...(deps.progressIntervalMs === undefined
      ? {}
      : { progressIntervalMs: deps.progressIntervalMs }),
  });
  const text = flag.text === '' ? 'help' : flag.text;
  const running = deps.bot.invoke(
    {
      actorId: `mattermost:${request.userId}`,
      ...speaker,
      room,
      source: 'mattermost',
      text,
      ...(asked === undefined ? {} : { locale: asked }),
    },
    sink,
  );
  // A typed decision edits its prompt as a click does (prompt-story.ts).
  const code = decisionCode(text);
  if (code !== undefined) {
    running.then(
      () =>
        editDecidedPrompt(deps, code, {
          actorId: `mattermost:${request.userId}`,
          name: `@${request.userName}`,
        }),
      () => undefined,
    );
  }
  const deadline = timeout(deps.replyWithinMs);
  const quick: Outcome | undefined = await Promise.race([running, deadline.promise]);
  deadline.cancel();
  // A prompt is posted by the bot, not as the answer, so that its decision can edit it.
  if (quick !== undefined && !sink.usedOutbox && quick.status !== 'pending') {
    const rendered = deps.render(quick.message, target);
    // Files can only be attached by the bot's own post.
    if (rendered.files.length === 0) {
      sink.close();
      return {
        status: 200,
        body: answerBody(rendered, isPrivateAnswer(quick) ? 'ephemeral' : 'in_channel'),
      };
    }
  }
  running.then(
    (outcome) => sink.finish(outcome),
    (error: unknown) => deps.log.error('slash command failed', { error }),
  );
  // The acknowledgement is ephemeral: in the person's own language.
  const ack = localize(
    quick?.status === 'pending' ? mattermostTexts.promptPosted : mattermostTexts.working,
    asked ?? speaker.personLocale ?? locale,
    {
      command: text.slice(0, 200).replace(/`/g, "'"),
    },
  );
  return { status: 200, body: { response_type: 'ephemeral', text: ack } };
}
