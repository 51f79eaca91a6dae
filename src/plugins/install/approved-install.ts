/**
 * The desk's installer seam: an approved request becomes `plugin-install <service>
 * <component> <version> --request <n>`, run through the bot's one path as the approver who
 * completed the approval (their permission, the service lock, a job with its audit), with no
 * second confirmation: the approval is the decision. Its progress is one post in the room of
 * the decision, edited in place; its outcome is the approver's answer.
 */
import type { Rerun } from '../../core/approval-flow.ts';
import type { CommandContext } from '../../core/context.ts';
import type { InvocationSink } from '../../core/invocation.ts';
import type { Notices } from '../../core/notices.ts';
import type { PluginInstaller } from '../desk.ts';
import type { PluginRequest } from '../requests.ts';
import { installTexts } from './texts.ts';

export function approvedInstaller(options: {
  readonly service: string;
  readonly invoke: Rerun;
  readonly notices: Notices;
}): PluginInstaller {
  return {
    async install(ctx: CommandContext, request: PluginRequest): Promise<string> {
      const version = request.facts.version === undefined ? [] : [String(request.facts.version)];
      const text = [
        'plugin-install',
        options.service,
        request.component,
        ...version,
        '--request',
        String(request.id),
      ].join(' ');
      const outcome = await options.invoke(
        {
          actorId: ctx.actor.id,
          displayName: ctx.actor.displayName,
          room: ctx.room,
          source: ctx.source,
          text,
          locale: ctx.locale,
          preconfirmed: true,
        },
        progressSink(ctx, options.notices, request),
      );
      const { title, text: body } = outcome.message;
      return [title, body].filter((s) => s !== undefined && s !== '').join('\n');
    },
  };
}

/** Replies go where the decision was made; progress is one notice there, edited in place. */
function progressSink(
  ctx: CommandContext,
  notices: Notices,
  request: PluginRequest,
): InvocationSink {
  const key = `plugin-request:${request.id}:install-progress`;
  let posted = false;
  let last = '';
  return {
    confirm: { kind: 'refuse' },
    reply: (message) => ctx.reply(message),
    progress: (update) => {
      if (update.text === last) return;
      last = update.text;
      const head = ctx.t(installTexts.installing, { id: request.id, component: request.component });
      const message = {
        severity: 'info' as const,
        text: `${head}\n${Math.round(update.fraction * 100)}% · ${update.text}`,
      };
      if (!posted) notices.post(ctx.room.id, message, key);
      else notices.edit(ctx.room.id, message, key, `${update.fraction}:${update.text}`);
      posted = true;
    },
  };
}
