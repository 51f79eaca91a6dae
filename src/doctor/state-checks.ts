/**
 * The configuration file and its secrets, and the state database (`state.path`): can the
 * bot write it, how big is it, is it in WAL mode. The database is opened read-only and never
 * migrated here: the doctor changes nothing.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { LoadedConfig } from '../config/load.ts';
import { cannot, fail, ok, same, type Check, type Finding } from './check.ts';
import { formatBytes, plural } from './format.ts';

export function configFinding(config: LoadedConfig): Finding {
  const services = config.catalog.services.size;
  const secrets = new Set(config.catalog.secrets).size;
  const ru = `${plural(services, 'ru', { one: 'сервис', few: 'сервиса', other: 'сервисов' })}, прочитано секретов: ${secrets}`;
  const en = `${plural(services, 'en', { one: 'service', other: 'services' })}, ${plural(secrets, 'en', { one: 'secret', other: 'secrets' })} resolved`;
  return ok({ ru: `${config.path}: ${ru}`, en: `${config.path}: ${en}` });
}

export function stateCheck(path: string): Check {
  return {
    title: { ru: 'База состояния', en: 'State database' },
    run: () => Promise.resolve(stateFinding(path)),
  };
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nearest directory that exists at or above `path` (where the file would be created). */
function existingDir(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function stateFinding(path: string): Finding {
  if (path === ':memory:') {
    return ok({
      ru: 'в памяти (:memory:) — после перезапуска ничего не сохранится',
      en: 'in memory (:memory:): nothing survives a restart',
    });
  }
  const hint = {
    ru: `Пользователь бота должен иметь право записи в ${dirname(path)} (WAL создаёт там файлы рядом с базой).`,
    en: `The bot's user needs write access to ${dirname(path)} (WAL keeps files beside the database).`,
  };
  if (!existsSync(path)) {
    const dir = existingDir(path);
    return writable(dir)
      ? ok({
          ru: `${path} ещё нет — будет создана при первом запуске`,
          en: `${path} does not exist yet; it is created at the first start`,
        })
      : fail(
          { ru: `${path}: нет права записи в ${dir}`, en: `${path}: ${dir} is not writable` },
          hint,
        );
  }
  if (!writable(path) || !writable(dirname(path))) {
    return fail({ ru: `${path}: нет права записи`, en: `${path}: not writable` }, hint);
  }
  let mode: string;
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const value = db.prepare('PRAGMA journal_mode').get()?.['journal_mode'];
      mode = typeof value === 'string' ? value : 'unknown';
    } finally {
      db.close();
    }
  } catch (error) {
    return cannot(same(`${path}: ${error instanceof Error ? error.message : String(error)}`));
  }
  const wal = `${path}-wal`;
  const bytes = statSync(path).size + (existsSync(wal) ? statSync(wal).size : 0);
  const size = { ru: formatBytes(bytes, 'ru'), en: formatBytes(bytes, 'en') };
  if (mode !== 'wal') {
    return fail(
      {
        ru: `${path}: ${size.ru}, режим журнала ${mode}, а не WAL`,
        en: `${path}: ${size.en}, journal mode ${mode}, not WAL`,
      },
      {
        ru: 'Бот включает WAL сам при запуске; если база открыта другой программой, закройте её.',
        en: 'The bot turns WAL on itself at start; if another program holds the database, close it.',
      },
    );
  }
  return ok({ ru: `${path}: ${size.ru}, WAL`, en: `${path}: ${size.en}, WAL` });
}
