/** The line `status` shows per service once backups have run: the last backup and drill. */
import type { CommandContext } from '../src/core/context.ts';
import type { Field } from '../src/core/message.ts';
import { formatDuration, formatTime } from '../src/core/format.ts';

const texts = {
  label: { ru: '{service}: копии', en: '{service}: backups' },
  backup: { ru: 'копия {time} ({ago} назад)', en: 'backup {time} ({ago} ago)' },
  drill: { ru: 'проверка {time} ({ago} назад)', en: 'drill {time} ({ago} ago)' },
  never: { ru: 'проверки не было', en: 'no drill yet' },
  noBackup: { ru: 'копии не было', en: 'no backup yet' },
} as const;

/** One field per service the ledger knows of; none when nothing was ever recorded. */
export function backupFields(
  ctx: CommandContext,
  services: readonly string[],
  now: number = Date.now(),
): Field[] {
  const ledger = ctx.backupLedger;
  if (ledger === undefined) return [];
  return services.flatMap((service) => {
    const last = ledger.lastSuccess(service);
    if (last.backup === undefined && last.drill === undefined) return [];
    const when = (at: Date): { time: string; ago: string } => ({
      time: formatTime(at, { timeZone: ctx.catalog.timeZone }),
      ago: formatDuration(now - at.getTime(), ctx.locale),
    });
    return [
      {
        label: ctx.t(texts.label, { service }),
        value: [
          last.backup === undefined
            ? ctx.t(texts.noBackup)
            : ctx.t(texts.backup, when(last.backup.at)),
          last.drill === undefined ? ctx.t(texts.never) : ctx.t(texts.drill, when(last.drill.at)),
        ].join(' · '),
      },
    ];
  });
}
