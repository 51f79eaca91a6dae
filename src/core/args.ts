/** Argument and option specs shared by several commands. */
import { z } from 'zod';
import type { ArgumentSpec, OptionSpec } from './command.ts';

export const serviceArg = {
  name: 'service',
  description: { ru: 'сервис из каталога', en: 'a service of the catalog' },
  schema: z.string(),
  service: true,
} as const satisfies ArgumentSpec;

export const optionalServiceArg = {
  ...serviceArg,
  schema: z.string().optional(),
} as const satisfies ArgumentSpec;

export const jobIdArg = {
  name: 'id',
  description: { ru: 'номер задачи', en: 'job number' },
  schema: z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number),
} as const satisfies ArgumentSpec;

export function lastOption(fallback: number, max: number) {
  return {
    name: 'last',
    flags: '--last <n>',
    description: {
      ru: `сколько последних записей (по умолчанию ${fallback})`,
      en: `how many recent entries (default ${fallback})`,
    },
    schema: z
      .string()
      .regex(/^\d{1,6}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(max))
      .optional()
      .transform((n) => n ?? fallback),
  } as const satisfies OptionSpec;
}

/** Every mutating command takes it: the exact plan, nothing changed, no confirmation. */
export const dryRunOption = {
  name: 'dryRun',
  flags: '--dry-run',
  description: { ru: 'показать план, ничего не меняя', en: 'show the plan, change nothing' },
  schema: z
    .boolean()
    .optional()
    .transform((v) => v === true),
} as const satisfies OptionSpec;
