/** What an install or removal that failed put back (or could not), said in one line. */
import { UserError } from '../../core/errors.ts';
import { localize, type Locale, type Params, type Text } from '../../core/i18n.ts';

export const undoTexts = {
  untouched: { ru: 'сайт не изменён', en: 'the site was not changed' },
  folderRemoved: { ru: 'папка плагина удалена', en: 'the plugin’s folder was removed' },
  folderBack: {
    ru: 'прежняя папка плагина возвращена',
    en: 'the plugin’s previous folder was put back',
  },
  folderLeft: {
    ru: 'папку {folder} убрать НЕ удалось ({reason})',
    en: 'the folder {folder} could NOT be cleaned up ({reason})',
  },
  databaseBack: {
    ru: 'база данных возвращена из копии, сделанной перед установкой',
    en: 'the database was put back from the backup taken before',
  },
  databaseLeft: {
    ru: 'базу данных вернуть НЕ удалось ({reason}); копия перед установкой: задание {job}',
    en: 'the database could NOT be put back ({reason}); the backup taken before: job {job}',
  },
  maintenanceOff: { ru: 'режим обслуживания выключен', en: 'maintenance mode is off' },
  maintenanceLeft: {
    ru: 'режим обслуживания выключить НЕ удалось ({reason}): admin/cli/maintenance.php --disable',
    en: 'maintenance mode could NOT be turned off ({reason}): admin/cli/maintenance.php --disable',
  },
} as const satisfies Record<string, Text>;

/** A note of the undo: a text and its parameters, said later in each language. */
export interface UndoNote {
  readonly text: Text;
  readonly params?: Params;
}

/** The notes as one sentence: `Папка плагина удалена; режим обслуживания выключен.` */
export function undoSentence(notes: readonly UndoNote[], locale: Locale): string {
  const parts = notes.map((n) => localize(n.text, locale, n.params ?? {}));
  const joined = parts.join('; ');
  return joined === '' ? '' : `${joined.charAt(0).toUpperCase()}${joined.slice(1)}.`;
}

/** True when nothing of the undo failed (no folder, database or maintenance left). */
export function isClean(notes: readonly UndoNote[]): boolean {
  const left: readonly Text[] = [
    undoTexts.folderLeft,
    undoTexts.databaseLeft,
    undoTexts.maintenanceLeft,
  ];
  return notes.every((n) => !left.includes(n.text));
}

/** An error as one line in each language (a UserError as it says itself, else its message). */
export function reasonOf(error: unknown): { ru: string; en: string } {
  if (error instanceof UserError) return { ru: error.text('ru'), en: error.text('en') };
  const text = error instanceof Error ? error.message : String(error);
  return { ru: text, en: text };
}

/** The short reason inside an undo note (in English: notes are rare and about machinery). */
export function shortReason(error: unknown): string {
  const text = reasonOf(error).en;
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
