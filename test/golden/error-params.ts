/**
 * Sample values for the placeholders of the error texts, so that each text reads as a
 * person would see it: a real-looking service, container, id, reason in each language.
 */
import { codeName } from '../../src/backup/printable-name.ts';
import type { ErrorCode } from '../../src/core/error-texts.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Locale, Params } from '../../src/core/i18n.ts';
import { identify } from '../../src/core/identity.ts';
import { SqliteApprovalStore } from '../../src/store/approvals-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { testCatalog } from '../helpers/catalog.ts';

const common: Readonly<Record<string, string | number>> = {
  service: 'moodle',
  command: 'restart',
  container: 'pes-moodle-2',
  containers: 'pes-moodle-1, pes-moodle-2',
  source: 'volume:moodledata',
  code: '7F3K',
  name: 'wiki',
  cluster: 'prod',
  ref: '3f9c1a',
  revision: 7,
  path: '/etc/pes-bot/config.yaml',
  bracket: '[z-a]',
  key: 'greeting',
  keys: 'greeting, run',
  image: 'moodle:4.6',
  value: 'abc',
  known: 'moodle, keycloak',
  job: 12,
  id: 12,
  ids: 'aaaaaaa8, aaaaaaa9',
  repository: '/srv/backup/restic',
  namespace: 'pes',
  engine: 'restic',
  actor: 'mattermost:ivan',
  removed: 3,
  option: '--since',
  instance: 'wiki',
  word: 'severity',
  volume: 'moodledata',
  volumes: 'wiki-data',
  template: 'testapp',
  tag: 'pre-upgrade',
  selector: 'com.docker.compose.service=moodle',
  secret: 'mattermost-token',
  safety: 'aaaaaaab',
  pattern: '[a-z0-9]{1,16}',
  newest: 'aaaaaaa7',
  names: 'wiki, wiki-data',
  minutes: 5,
  max: 5,
  min: 0,
  argument: 'replicas',
  url: 'https://chat.example.org',
  untouched: 'postgres:moodle',
  subset: '10%',
  sources: 'volume:moodledata, postgres:moodle',
  socket: '/var/run/docker.sock',
  snapshot: 'aaaaaaa7',
  size: 41_250,
  seconds: 30,
  roles: 'admin, operator',
  restarted: 'pes-moodle-1',
  resource: 'deployment/moodle',
  requested: 9,
  quote: '"',
  project: 'pes',
  pod: 'moodle-7d9f8c6b5-x2x9q',
  database: 'moodle',
  workload: 'StatefulSet/moodle-db',
  node: 'worker-2',
  program: 'restic',
  position: 14,
  percent: 97,
  owner: 'root',
  operation: 'backup',
  only: ' (--only volumes)',
  network: 'pes_default',
  limit: 2000,
  length: 2400,
  left: 'aaaaaaa8',
  holder: 'PID 4242 on backup-host',
  grant: 'docker',
  file: '/etc/pes-bot/tls/key.pem',
  extra: 'moodle',
  driver: 'local',
  at: '2026-12-06 03:14 GMT+3',
  allowed: 'local:root, admin',
  kind: 'volume',
  verb: 'backup',
  problems: 'services.moodle.scale.max: expected a number',
  detail: 'connect ECONNREFUSED 127.0.0.1:2375',
  moodle: 'moodle',
  folder: '/var/www/html/mod/attendance',
  what: 'admin/cli/upgrade.php',
  exit: 1,
  output: 'Default exception handler: dependencies check failed',
  component: 'mod_attendance',
  words: 'attendance table',
  text: 'restore moodle latest',
  found: 'moodle-mod_attendance-main/',
  expected: 'attendance/',
  other: 'attendance/Version.php',
  count: 25_000,
  ratio: 1031,
  mode: '014',
  method: 12,
  field: '$plugin->supported',
  requires: 2025041400,
  version: 2024100700,
  release: '4.5.1 (Build: 20250609)',
  branch: '4.5',
  from: '4.1',
  to: '4.4',
  incompatible: '4.5',
  type: 'aiplacement',
  dependency: 'mod_questionnaire',
  required: 2024042200,
  installed: 2023100900,
  uid: 0,
  user: 'www-data',
  webUid: 33,
};

const localized: Readonly<Record<string, Readonly<Record<Locale, string>>>> = {
  reason: { ru: 'нет ответа за 30 с', en: 'no answer within 30 s' },
  state: { ru: 'НЕПОЛНЫЙ (задание прервано)', en: 'INCOMPLETE (its job was cut short)' },
  undone: {
    ru: 'База данных возвращена из копии, сделанной перед установкой; папка плагина удалена; режим обслуживания выключен.',
    en: 'The database was put back from the backup taken before; the plugin’s folder was removed; maintenance mode is off.',
  },
};

/** Params for a text: every `{name}` filled, `…Ru`/`…En` pairs in their own language. */
export function sampleParams(locale: Locale): Params {
  const out: Record<string, string | number> = { ...common };
  for (const [key, text] of Object.entries(localized)) {
    out[key] = text[locale];
    out[`${key}Ru`] = text.ru;
    out[`${key}En`] = text.en;
  }
  const pairs: Readonly<Record<string, Readonly<Record<Locale, string>>>> = {
    states: {
      ru: 'pes-moodle-1: возвращён, работает, здоров',
      en: 'pes-moodle-1: restored, running, healthy',
    },
    why: { ru: 'он работает на другом образе', en: 'it runs another image' },
    first: {
      ru: 'Хук после копирования не выполнен: exit 1.',
      en: 'The hook after the backup failed: exit 1.',
    },
    also: {
      ru: 'Снимок aaaaaaa9 удалить не удалось.',
      en: 'Snapshot aaaaaaa9 could not be removed.',
    },
    undo: { ru: 'ревизия 6 не стала готовой', en: 'revision 6 did not become ready' },
  };
  for (const [key, text] of Object.entries(pairs)) {
    out[`${key}Ru`] = text.ru;
    out[`${key}En`] = text.en;
  }
  return out;
}

const pathCodes: readonly ErrorCode[] = [
  'backup-path-invalid',
  'backup-path-not-found',
  'backup-path-unsafe',
  'backup-path-glob-invalid',
];

/**
 * Params that the code itself makes (a state word in the person's language), taken from the
 * real path rather than a sample, so that the golden shows what a person reads: a vote on a
 * rejected approval, refused by the store.
 */
export function madeParams(code: ErrorCode, locale: Locale): Params {
  // A name from a snapshot whose bytes are not all UTF-8: U+FFFD shows escaped.
  if (code === 'backup-path-not-utf8') return { path: codeName('filedir/2a/caf\uFFFD.txt') };
  // A path (a name from a snapshot, or typed) comes as code (printable-name.ts).
  if (pathCodes.includes(code)) {
    return {
      path: codeName(code === 'backup-path-glob-invalid' ? 'filedir/[z-a]*' : 'filedir/2a/3f'),
      bracket: codeName('[z-a]'),
    };
  }
  if (code !== 'approval-closed') return {};
  const catalog = testCatalog({
    roles: [{ name: 'admin', members: ['mattermost:ivan', 'mattermost:olga'], commands: ['*'] }],
  });
  const store = new SqliteApprovalStore(openDatabase(':memory:'));
  const approval = store.create({
    subject: 'command',
    text: 'restore moodle latest',
    actor: 'local:root',
    room: 'terminal',
    policy: { roles: ['admin'], count: 2, ttlMs: 3_600_000 },
  });
  store.vote(approval.id, identify(catalog, 'mattermost:ivan'), 'reject', '', catalog, locale);
  try {
    store.vote(approval.id, identify(catalog, 'mattermost:olga'), 'approve', '', catalog, locale);
  } catch (error) {
    if (error instanceof UserError) return { ...error.params, id: 12 };
    throw error;
  }
  throw new Error('a vote on a rejected approval was counted');
}
