/**
 * A click on a button (Interactive Messages reference: Mattermost POSTs the integration's
 * context with the clicking user, channel and post, and shows the `update` and
 * `ephemeral_text` of a 200 answer). The context must carry the bot's signature; the command
 * then runs as the person who clicked, so the core decides whether they may confirm.
 */
import { randomUUID } from 'node:crypto';
import { UserError } from '../../core/errors.ts';
import type { NamedActor } from '../../core/confirmation-story.ts';
import { localize, type Locale } from '../../core/i18n.ts';
import type { Outcome } from '../../core/outcome.ts';
import { speakerOf, type Speaker } from '../people/speaker.ts';
import { decidedNothing } from '../refusals.ts';
import {
  actionIdOf,
  isOutdatedContext,
  verifyActionContext,
  type ActionContext,
} from './action-context.ts';
import { parseActionRequest, type ActionRequest } from './inbound.ts';
import type { PostButtons } from './post-buttons.ts';
import { decidedPrompt, editDecidedPrompt } from './prompt-story.ts';
import { severityColours } from './render.ts';
import { MattermostSink, type ConversationTarget } from './sink.ts';
import type { HttpAnswer, SlashDeps } from './slash.ts';
import { mattermostTexts } from './texts.ts';

function ephemeral(outcome: Outcome): HttpAnswer {
  const { title, text } = outcome.message;
  return { status: 200, body: { ephemeral_text: [title, text].filter(Boolean).join('\n') } };
}

/**
 * The clicked post as it should stay: no buttons, what it was about, who decided and when
 * (prompt-story.ts); while the decision is not recorded yet (the command is slow), who
 * decided only, and the outbox edit that follows tells the rest.
 */
function decidedPost(
  context: ActionContext,
  decider: NamedActor,
  locale: Locale,
  running: boolean,
  deps: SlashDeps,
  target: ConversationTarget,
): unknown {
  const story = decidedPrompt(deps.bot, context.code, decider, deps.people);
  if (story !== undefined) {
    const note = running ? localize(mattermostTexts.running, locale) : undefined;
    const message = {
      ...story.message,
      text: [story.message.text, note].filter(Boolean).join('\n'),
    };
    const rendered = deps.render(message, target);
    return { message: rendered.message, props: { attachments: rendered.attachments } };
  }
  const declined = /^decline\b/i.test(context.command);
  const line = localize(
    declined ? mattermostTexts.cancelledBy : mattermostTexts.confirmedBy,
    locale,
    { who: decider.name },
  );
  const text = running ? `${line}\n${localize(mattermostTexts.running, locale)}` : line;
  return {
    message: '',
    props: {
      attachments: [
        {
          fallback: `${context.title}: ${line}`.slice(0, 300),
          color: declined ? '#8a8a8a' : severityColours.info,
          ...(context.title === '' ? {} : { title: context.title }),
          text,
        },
      ],
    },
  };
}

/**
 * A refusal the clicking person sees. It must be a 200: Mattermost turns any other status of
 * the integration into an error of its own and drops the body (integration_action.go,
 * DoActionRequest), so the person would learn nothing.
 */
function refused(error: UserError, locale: Locale): HttpAnswer {
  const text = [error.text(locale), error.hint(locale)].filter(Boolean).join('\n');
  return { status: 200, body: { ephemeral_text: text } };
}

export async function answerAction(
  body: unknown,
  deps: SlashDeps & { readonly postButtons?: PostButtons },
): Promise<HttpAnswer> {
  const request = parseActionRequest(body);
  if (request === undefined) return { status: 400, body: { error: 'malformed action request' } };
  // A click is not known to come from Mattermost until its signature is checked, so the
  // refusals before that ask nobody about the person and speak the room's language.
  const roomLocale = deps.bot.localeFor({ room: { id: `mattermost:${request.channelId}` } });
  const where = { channel: request.channelId, user: request.userId, post: request.postId };
  if (isOutdatedContext(request.context)) {
    deps.log.info('click on a button of an older version refused', where);
    return refused(new UserError('mattermost-action-stale'), roomLocale);
  }
  const secret = deps.settings.actionSecret;
  const context = secret === undefined ? undefined : verifyActionContext(secret, request.context);
  if (context === undefined || context.channel !== request.channelId) {
    deps.log.warn('button click with a bad signature refused', where);
    return refused(new UserError('mattermost-action-invalid'), roomLocale);
  }
  const speaker = await speakerOf(
    deps.people,
    `mattermost:${request.userId}`,
    `@${request.userName}`,
  );
  // Seen by the person who clicked only: their own language.
  const locale = speaker.personLocale ?? roomLocale;
  // The server had this button when the click left it; the bot may have taken it away since
  // (an edit still on its way). What the post has now, as the bot wrote it, decides.
  const current = deps.postButtons?.current(request.postId);
  if (current !== undefined && !current.includes(actionIdOf(context.command))) {
    deps.log.info('click on a button no longer on its post refused', where);
    return refused(new UserError('mattermost-action-stale'), locale);
  }
  return click(request, context, speaker, deps);
}

async function click(
  request: ActionRequest,
  context: ActionContext,
  speaker: Speaker,
  deps: SlashDeps,
): Promise<HttpAnswer> {
  const room = { id: `mattermost:${request.channelId}` };
  const locale = deps.bot.localeFor({ room });
  // Answers go to the thread of the clicked post.
  const target: ConversationTarget = {
    channelId: request.channelId,
    root: context.root === '' ? request.postId : context.root,
    userId: request.userId,
    direct: false,
  };
  const sink = new MattermostSink({
    outbox: deps.outbox,
    target,
    key: `action:${request.postId}:${randomUUID()}`,
    locale,
    render: deps.render,
    log: deps.log,
    ...(deps.progressIntervalMs === undefined
      ? {}
      : { progressIntervalMs: deps.progressIntervalMs }),
  });
  const running = deps.bot.invoke(
    {
      actorId: `mattermost:${request.userId}`,
      ...speaker,
      room,
      source: 'button',
      text: context.command,
    },
    sink,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), deps.replyWithinMs);
  });
  const quick = await Promise.race([running, late]);
  clearTimeout(timer);
  if (quick !== undefined && decidedNothing(quick)) {
    sink.close();
    return ephemeral(quick);
  }
  const decides = context.code !== '';
  const declined = /^decline\b/i.test(context.command);
  const who = `@${request.userName}`;
  const decider = { actorId: `mattermost:${request.userId}`, name: who };
  // The prompt's edit in the outbox too: it completes the story of a slow decision, and
  // records that the buttons are gone (post-buttons.ts).
  const settle = (): boolean => decides && editDecidedPrompt(deps, context.code, decider);
  if (quick !== undefined && decides && declined) sink.close();
  else if (quick !== undefined) sink.finish(quick);
  else {
    running.then(
      (outcome) => {
        sink.finish(outcome);
        settle();
      },
      (error: unknown) => deps.log.error('button command failed', { error }),
    );
  }
  if (!decides) return { status: 200, body: {} };
  const update = decidedPost(context, decider, locale, quick === undefined, deps, target);
  if (quick !== undefined) settle();
  return { status: 200, body: { update } };
}
