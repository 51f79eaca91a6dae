import { z } from 'zod';
import { defineCommand } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { quoteValue } from '../src/core/parse.ts';

const number = /^#?[0-9]{1,9}$/;

export default defineCommand({
  name: 'plugin',
  aliases: ['заявка'],
  summary: {
    ru: 'заявка на плагин: plugin <n> — подробно; plugin approve|reject <n> [причина] — решение администратора',
    en: 'a plugin request: plugin <n> shows it; plugin approve|reject <n> [reason] is an admin’s decision',
  },
  args: [
    {
      name: 'what',
      description: {
        ru: 'номер заявки, или approve / reject',
        en: 'a request number, or approve / reject',
      },
      schema: z
        .string()
        .regex(
          /^(#?[0-9]{1,9}|approve|reject|одобрить|отклонить|install|remove|установить|удалить)$/i,
        ),
    },
    {
      name: 'rest',
      description: { ru: 'номер заявки и причина', en: 'the request number and a reason' },
      schema: z.array(z.string()),
      variadic: true,
    },
  ],
  options: [],
  run(ctx, input) {
    const what = input.what.toLowerCase();
    if (number.test(what)) {
      if (input.rest.length > 0) {
        throw new UserError('extra-arguments', {
          command: 'plugin',
          extra: quoteValue(input.rest.join(' ')),
        });
      }
      return ctx.plugins.show(ctx, Number(what.replace('#', '')));
    }
    // Installing and removing are jobs on the Moodle service, so they are commands of their
    // own (plugin-install, plugin-remove), which lock it; said here for who types them so.
    if (['install', 'remove', 'установить', 'удалить'].includes(what)) {
      const remove = what === 'remove' || what === 'удалить';
      // A teacher's "plugin install mod_x" asks for it, as the same words in a message do.
      if (!remove && !ctx.may('plugin-install') && input.rest.length > 0) {
        return ctx.plugins.request(ctx, { words: input.rest, why: undefined });
      }
      throw new UserError(remove ? 'plugin-remove-how' : 'plugin-install-how', {
        component: input.rest[0] ?? 'mod_attendance',
        version: input.rest[1] === undefined ? '' : ` ${input.rest[1]}`,
      });
    }
    const [id, ...reason] = input.rest;
    if (id === undefined || !number.test(id)) {
      throw new UserError('missing-argument', { argument: 'n', command: `plugin ${what}` });
    }
    const verdict = what === 'approve' || what === 'одобрить' ? 'approve' : 'reject';
    return ctx.plugins.decide(
      ctx,
      Number(id.replace('#', '')),
      verdict,
      reason.join(' ').slice(0, 500),
    );
  },
});
