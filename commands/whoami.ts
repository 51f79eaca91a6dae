import { defineCommand } from '../src/core/command.ts';

const texts = {
  title: { ru: 'Кто вы для бота', en: 'Who you are to the bot' },
  id: { ru: 'Идентификатор', en: 'Id' },
  roles: { ru: 'Роли', en: 'Roles' },
  none: {
    ru: 'нет — доступны только help и whoami; попросите администратора добавить вас в роль',
    en: 'none — only help and whoami; ask an admin to add you to a role',
  },
  commands: { ru: 'Доступные команды', en: 'Commands you may run' },
} as const;

export default defineCommand({
  name: 'whoami',
  aliases: ['кто'],
  summary: { ru: 'ваш идентификатор и роли', en: 'your id and roles' },
  args: [],
  options: [],
  run(ctx) {
    const commands = ctx.registry
      .list()
      .filter((c) => ctx.may(c.name))
      .map((c) => c.name);
    return Promise.resolve({
      message: {
        severity: 'info',
        title: ctx.t(texts.title),
        fields: [
          { label: ctx.t(texts.id), value: ctx.actor.id },
          {
            label: ctx.t(texts.roles),
            value: ctx.actor.roles.length > 0 ? ctx.actor.roles.join(', ') : ctx.t(texts.none),
          },
          { label: ctx.t(texts.commands), value: commands.join(', ') },
        ],
      },
      data: { id: ctx.actor.id, roles: ctx.actor.roles, commands },
    });
  },
});
