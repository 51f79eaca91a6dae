import { z } from 'zod';
import { lastOption } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { formatTable, formatTime } from '../src/core/format.ts';
import { countText } from '../src/core/plural.ts';

const texts = {
  title: { ru: 'Журнал аудита', en: 'Audit log' },
  intact: {
    ru: {
      one: 'Журнал аудита цел: {count} запись, цепочка хэшей не нарушена.',
      few: 'Журнал аудита цел: {count} записи, цепочка хэшей не нарушена.',
      other: 'Журнал аудита цел: {count} записей, цепочка хэшей не нарушена.',
    },
    en: {
      one: 'The audit log is intact: {count} entry, hash chain unbroken.',
      other: 'The audit log is intact: {count} entries, hash chain unbroken.',
    },
  },
  problem: { ru: 'запись {id}: {kind}', en: 'entry {id}: {kind}' },
  kinds: {
    edited: { ru: 'изменена', en: 'edited' },
    deleted: { ru: 'удалена', en: 'deleted' },
    reordered: { ru: 'переставлена', en: 'reordered' },
  },
  // The decision in the reader's language; `--json` keeps the stored word.
  decisions: {
    allowed: { ru: 'разрешено', en: 'allowed' },
    denied: { ru: 'отказано', en: 'denied' },
    invalid: { ru: 'ошибка ввода', en: 'invalid' },
    declined: { ru: 'отклонено', en: 'declined' },
    pending: { ru: 'ждёт подтверждения', en: 'pending' },
  },
  headers: {
    ru: ['№', 'время', 'кто', 'где', 'команда', 'решение', 'итог', 'мс'],
    en: ['#', 'time', 'who', 'where', 'command', 'decision', 'result', 'ms'],
  },
} as const;

export default defineCommand({
  name: 'audit',
  aliases: ['аудит'],
  summary: {
    ru: 'журнал действий; audit verify проверяет его целостность',
    en: 'the action log; audit verify checks it was not tampered with',
  },
  args: [
    {
      name: 'action',
      description: { ru: 'verify — проверить цепочку хэшей', en: 'verify — check the hash chain' },
      schema: z.enum(['verify']).optional(),
    },
  ],
  options: [lastOption(20, 1000)],
  async run(ctx, input) {
    if (input.action === 'verify') {
      const problems = ctx.audit.verify();
      if (problems.length > 0) {
        const list = problems
          .map((p) => ctx.t(texts.problem, { id: p.id, kind: ctx.t(texts.kinds[p.kind]) }))
          .join(', ');
        throw new UserError('audit-broken', { problems: list });
      }
      const count = ctx.audit.last(1)[0]?.id ?? 0;
      return {
        message: { severity: 'success', text: countText(texts.intact, ctx.locale, count) },
        data: { intact: true, problems },
      };
    }
    const rows = ctx.audit.last(input.last);
    // People and rooms by name; the data keeps the ids.
    const [people, rooms] = await Promise.all([
      ctx.people.names(rows.map((r) => r.actor)),
      ctx.people.roomNames(rows.map((r) => r.room)),
    ]);
    const table = formatTable(
      texts.headers[ctx.locale],
      rows.map((r) => [
        String(r.id),
        formatTime(r.at, { timeZone: ctx.catalog.timeZone, seconds: true }),
        people.get(r.actor) ?? r.actor,
        rooms.get(r.room) ?? r.room,
        r.raw.slice(0, 60),
        ctx.t(texts.decisions[r.decision]),
        r.result,
        String(r.durationMs),
      ]),
    );
    return {
      message: { severity: 'info', title: ctx.t(texts.title), code: { content: table } },
      data: { entries: rows },
    };
  },
});
