/**
 * A bot with plugin requests and approvals wired as `pes serve` wires them (src/plugins/
 * wire.ts), on real SQLite in memory, the fake plugins directory, a Moodle site whose files
 * are read through a fake platform's exec (`cat` of a path in `files`), notices recorded,
 * and a clock the test moves.
 */
import { Readable } from 'node:stream';
import { commands } from '../../commands/index.ts';
import type { CommandApprovalRule } from '../../src/core/approvals.ts';
import type { BackupService } from '../../src/core/backup.ts';
import { Bot } from '../../src/core/bot.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import type { Invocation } from '../../src/core/invocation.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Message } from '../../src/core/message.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import type { Platform } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { RoutedNotices, wirePlugins, type NoticeTarget } from '../../src/plugins/wire.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { fakePlatform } from '../helpers/bot.ts';
import { service, testCatalog } from '../helpers/catalog.ts';

export const admins = 'mattermost:admins';

export function pluginCatalog(): Catalog {
  return testCatalog({
    roles: [
      {
        name: 'admin',
        members: ['mattermost:admin1', 'mattermost:admin2', 'mattermost:admin3', 'local:root'],
        commands: ['*'],
      },
      {
        name: 'teacher',
        members: ['mattermost:teacher1', 'mattermost:teacher2', 'matrix:@olga:pes.example'],
        commands: ['plugin-request', 'plugins', 'plugin'],
      },
    ],
    services: new Map([['moodle', service('moodle', { containers: { names: ['moodle-web'] } })]]),
    rooms: [
      { name: 'admins', address: admins, locale: 'en' },
      { name: 'teacher-ru', address: 'mattermost:dmteacher1', locale: 'ru' },
    ],
  });
}

/** A miniature Moodle 4.5 tree: core version.php, lib/components.json, one installed plugin. */
export function moodleFiles(root = '/var/www/html'): Map<string, string> {
  return new Map([
    [
      `${root}/version.php`,
      "<?php\ndefined('MOODLE_INTERNAL') || die();\n$version  = 2024100701.05;\n$release  = '4.5.1+ (Build: 20241213)';\n$branch   = '405';\n$maturity = MATURITY_STABLE;\n",
    ],
    [
      `${root}/lib/components.json`,
      JSON.stringify({
        plugintypes: { mod: 'mod', block: 'blocks', report: 'report', tool: 'admin/tool' },
      }),
    ],
    [
      `${root}/mod/checklist/version.php`,
      "<?php\n$plugin->version = 2024050100;\n$plugin->release = '4.1.2';\n$plugin->component = 'mod_checklist';\n",
    ],
  ]);
}

export function filesPlatform(files: Map<string, string>, execs: string[][] = []): Platform {
  return {
    ...fakePlatform({
      moodle: {
        service: 'moodle',
        state: 'up',
        containers: [
          {
            name: 'moodle-web',
            id: 'c1',
            state: 'running',
            health: 'none',
            image: 'moodle',
            tag: '4.5',
            startedAt: new Date('2026-12-01T00:00:00Z'),
            restartCount: 0,
          },
        ],
      },
    }),
    exec: (_container, argv) => {
      execs.push([...argv]);
      const path = argv[argv.length - 1] ?? '';
      const body = argv[0] === 'cat' ? files.get(path) : undefined;
      return Promise.resolve(
        body === undefined
          ? { exitCode: 1, stdout: '', stderr: `cat: ${path}: No such file or directory` }
          : { exitCode: 0, stdout: body, stderr: '' },
      );
    },
  };
}

export interface Notice {
  readonly kind: 'post' | 'edit';
  readonly room: string;
  readonly key: string;
  readonly message: Message;
}

export function recordingTarget(notices: Notice[]): NoticeTarget {
  return {
    announce: (room, message, key) => (notices.push({ kind: 'post', room, key, message }), true),
    amend: (room, message, key) => (notices.push({ kind: 'edit', room, key, message }), true),
  };
}

export interface PluginBed {
  readonly bot: Bot;
  readonly notices: Notice[];
  readonly housekeeping: () => void;
  tick(ms: number): void;
  say(actorId: string, text: string, extra?: Partial<Invocation>): Promise<Outcome>;
  readonly replies: Message[];
}

export function pluginBed(options: {
  directoryUrl: string;
  files?: Map<string, string>;
  platform?: Platform;
  rules?: readonly CommandApprovalRule[];
  backups?: BackupService;
  count?: number;
}): PluginBed {
  const db = openDatabase(':memory:');
  let now = new Date('2026-12-07T01:00:00Z');
  const clock = (): Date => now;
  const catalog = pluginCatalog();
  const log = createLogger({ level: process.env['PES_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const notices: Notice[] = [];
  const routed = new RoutedNotices(log);
  routed.attach({ mattermost: recordingTarget(notices), matrix: recordingTarget(notices) });
  const wiring = wirePlugins({
    config: {
      desk: {
        service: 'moodle',
        root: '/var/www/html',
        directoryUrl: options.directoryUrl,
        policy: {
          roles: ['admin'],
          count: options.count ?? 2,
          ttlMs: 72 * 3_600_000,
          remindBeforeMs: 24 * 3_600_000,
          room: admins,
        },
      },
      commandRules: options.rules ?? [],
    },
    catalog,
    db,
    log,
    notices: routed,
    now: clock,
  });
  const replies: Message[] = [];
  const bot = new Bot({
    catalog,
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db, { now: clock }),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db, { now: clock }),
    platform: () => options.platform ?? filesPlatform(options.files ?? moodleFiles()),
    ...(options.backups === undefined ? {} : { backups: options.backups }),
    ...(wiring.desk === undefined ? {} : { plugins: wiring.desk }),
    ...(wiring.approvals === undefined ? {} : { approvals: wiring.approvals }),
    ...(wiring.interpret === undefined ? {} : { interpret: wiring.interpret }),
    log,
    now: clock,
  });
  return {
    bot,
    notices,
    replies,
    housekeeping: () => wiring.housekeeping(),
    tick: (ms) => {
      now = new Date(now.getTime() + ms);
    },
    say: (actorId, text, extra = {}) =>
      bot.invoke(
        {
          actorId,
          room: { id: `mattermost:dm${actorId.split(':')[1] ?? ''}` },
          source: 'mattermost',
          text,
          ...extra,
        },
        { reply: (m) => replies.push(m), progress: () => undefined, confirm: { kind: 'pending' } },
      ),
  };
}

export function emptyStream(): Readable {
  return Readable.from([]);
}
