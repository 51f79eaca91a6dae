/**
 * The bad-input corpus: one table of what people and servers get wrong, for every command
 * and endpoint of the README (Commands, Mattermost, Matrix, Backups, Alerts, How it behaves),
 * each with the exit code or HTTP status and the one line it must get, and nothing changed.
 *
 * - Terminal rows run the real `pes` (bin/pes.js) in a child process against the Docker
 *   engine of scripts/test-env.sh and a real restic repository, twice: as people see it (one
 *   line on stderr, and the hint under it when the error has one) and with `--json` (the
 *   stable error code). Nothing changed: the test run's containers inspect the same, no job
 *   row opened (or only a failed one, where the row says so), no snapshot in the repository.
 * - HTTP rows go to the real HTTP server with the Mattermost routes and adapter (a fake
 *   Mattermost behind), the Alertmanager receiver and /metrics. Nothing changed: no audit,
 *   job, confirmation, outbox or alert row.
 * - Matrix rows go to the real event handler; the answer is one message in the outbox.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertCounters } from '../../src/alerts/counters.ts';
import { Conversation } from '../../src/chat/matrix/conversation.ts';
import type { InboundEvent } from '../../src/chat/matrix/inbound.ts';
import { MatrixOutbox } from '../../src/chat/matrix/outbox-writer.ts';
import { renderMessage } from '../../src/chat/matrix/render.ts';
import { roomOf } from '../../src/chat/matrix/types.ts';
import { errorTexts, type ErrorCode } from '../../src/core/error-texts.ts';
import { createLogger } from '../../src/core/logger.ts';
import { alertmanagerRoutes } from '../../src/server/alertmanager-routes.ts';
import { Registry } from 'prom-client';
import { metricsRoute } from '../../src/server/metrics-route.ts';
import { SqliteAlertInbox } from '../../src/store/alerts-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { SqliteMatrixState } from '../../src/store/matrix-repo.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { startHarness, slashTokens, type Harness } from '../fakes/mattermost/harness.ts';
import { send } from '../fuzz/http.ts';
import { chatBot, chatCatalog, echo } from '../helpers/chat-bot.ts';
import { runPes } from '../helpers/cli.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { engineSnapshot } from '../helpers/docker-snapshot.ts';
import { leaveStaleResticLock, repoPassword } from '../integration/backup-helpers.ts';

const alertToken = 'alert-token-for-the-corpus-0123456789';
const metricsToken = 'metrics-token-for-the-corpus-0123456789';
const fiveMegabytes = 'x'.repeat(5 * 1024 * 1024);

// ——— the table ———

interface CliRow {
  readonly kind: 'cli';
  readonly args: readonly string[];
  /** Which configuration: the normal one, Docker down, a locked repository, invalid. */
  readonly config?: 'main' | 'docker-down' | 'locked' | 'invalid' | 'busy';
  readonly exit: number;
  /** The stable code (`--json`); undefined where `pes` refuses before any command runs. */
  readonly code?: ErrorCode;
  /** The start of the English line. */
  readonly line: string;
  /** A job that opens and fails is allowed (the work was tried); default: no job at all. */
  readonly failedJob?: boolean;
}

interface HttpRow {
  readonly kind: 'http';
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | ((h: Harness) => string);
  readonly status: number;
  /** What the answer says (its `text`, `error` or `ephemeral_text`, or the plain body). */
  readonly line: string;
}

interface MatrixRow {
  readonly kind: 'matrix';
  readonly room: 'ops' | 'other';
  readonly body: string;
  readonly encrypted?: 'clear-text-in-encrypted-room';
  readonly code: ErrorCode;
  readonly line: string;
}

type Row = CliRow | HttpRow | MatrixRow;

const slashToken = slashTokens[0] ?? '';

/** A slash form as Mattermost posts it, from the ops channel of the harness. */
function slashForm(text: string, token = slashToken): (h: Harness) => string {
  return (h) =>
    new URLSearchParams({
      token,
      channel_id: h.ops.id,
      channel_name: 'ops',
      user_id: h.admin.id,
      user_name: 'anna',
      command: '/pes',
      text,
    }).toString();
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const json = { 'content-type': 'application/json' };
const bearer = { ...json, authorization: `Bearer ${alertToken}` };

const rows: readonly [string, Row][] = [
  // Commands (README "Commands"), typed in a terminal.
  [
    'unknown command',
    {
      kind: 'cli',
      args: ['frobnicate'],
      exit: 2,
      code: 'unknown-command',
      line: 'Unknown command "frobnicate".',
    },
  ],
  [
    'unknown service',
    {
      kind: 'cli',
      args: ['status', 'nope'],
      exit: 2,
      code: 'unknown-service',
      line: 'Unknown service "nope".',
    },
  ],
  [
    'extra argument',
    {
      kind: 'cli',
      args: ['status', 'moodle', 'extra'],
      exit: 2,
      code: 'extra-arguments',
      line: 'Too many arguments for status: extra.',
    },
  ],
  [
    'help of an unknown command',
    {
      kind: 'cli',
      args: ['help', 'nope'],
      exit: 2,
      code: 'unknown-command',
      line: 'Unknown command "nope".',
    },
  ],
  [
    'scale below zero',
    {
      kind: 'cli',
      args: ['scale', 'moodle', '-1'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid replicas: "-1"',
    },
  ],
  [
    'scale over the bounds',
    {
      kind: 'cli',
      args: ['scale', 'moodle', '999'],
      exit: 2,
      code: 'scale-out-of-bounds',
      line: 'moodle: 999 is outside the allowed range 0…3; nothing was changed.',
    },
  ],
  [
    'scale without a number',
    {
      kind: 'cli',
      args: ['scale', 'moodle'],
      exit: 2,
      code: 'missing-argument',
      line: 'Missing argument <replicas> for scale.',
    },
  ],
  [
    'scale of an unknown service',
    {
      kind: 'cli',
      args: ['scale', 'nope', '2'],
      exit: 2,
      code: 'unknown-service',
      line: 'Unknown service "nope".',
    },
  ],
  [
    'update to a shell line',
    {
      kind: 'cli',
      args: ['update', 'moodle', 'x; rm -rf /'],
      exit: 2,
      code: 'update-bad-target',
      line: '"x; rm -rf /" is neither an image tag nor image@sha256:…; nothing was changed.',
    },
  ],
  [
    'rollback of an unknown service',
    {
      kind: 'cli',
      args: ['rollback', 'nope'],
      exit: 2,
      code: 'unknown-service',
      line: 'Unknown service "nope".',
    },
  ],
  [
    'restart of an unknown service',
    {
      kind: 'cli',
      args: ['restart', 'nope'],
      exit: 2,
      code: 'unknown-service',
      line: 'Unknown service "nope".',
    },
  ],
  [
    'logs with a word for --lines',
    {
      kind: 'cli',
      args: ['logs', 'moodle', '--lines', 'abc'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid --lines: "abc"',
    },
  ],
  [
    'logs with a bad --since',
    {
      kind: 'cli',
      args: ['logs', 'moodle', '--since', '5x'],
      exit: 2,
      code: 'invalid-duration',
      line: 'Invalid duration --since "5x"',
    },
  ],
  [
    'an unknown option',
    {
      kind: 'cli',
      args: ['logs', 'moodle', '--frobnicate'],
      exit: 2,
      code: 'unknown-option',
      line: 'Unknown option --frobnicate for logs.',
    },
  ],
  [
    'jobs --last with a word',
    {
      kind: 'cli',
      args: ['jobs', '--last', 'abc'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid --last: "abc"',
    },
  ],
  [
    'job that does not exist',
    {
      kind: 'cli',
      args: ['job', '999999'],
      exit: 2,
      code: 'unknown-job',
      line: 'There is no job 999999.',
    },
  ],
  [
    'cancel of a job that does not exist',
    {
      kind: 'cli',
      args: ['cancel', '999999'],
      exit: 2,
      code: 'unknown-job',
      line: 'There is no job 999999.',
    },
  ],
  [
    'confirm of an unknown code',
    {
      kind: 'cli',
      args: ['confirm', 'ZZZZ'],
      exit: 2,
      code: 'unknown-confirmation',
      line: 'There is no open confirmation with code ZZZZ.',
    },
  ],
  [
    'scale to zero with no way to confirm',
    {
      kind: 'cli',
      args: ['scale', 'moodle', '0'],
      exit: 2,
      code: 'confirmation-required',
      line: 'scale needs a confirmation.',
    },
  ],
  [
    'provision of an unknown template',
    {
      kind: 'cli',
      args: ['provision', 'nosuch', 'newapp'],
      exit: 2,
      code: 'unknown-template',
      line: 'There is no template "nosuch".',
    },
  ],
  [
    'deprovision of a bad name',
    {
      kind: 'cli',
      args: ['deprovision', 'Bad_Name'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid name: "Bad_Name"',
    },
  ],
  [
    'audit --last zero',
    {
      kind: 'cli',
      args: ['audit', '--last', '0'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid --last: "0"',
    },
  ],
  [
    'a terminal flag with a bad value',
    { kind: 'cli', args: ['--lang', 'xx', 'status'], exit: 2, line: 'pes: --lang' },
  ],
  // Configuration (README "Configuration").
  [
    'an invalid configuration',
    {
      kind: 'cli',
      config: 'invalid',
      args: ['--lang', 'en', 'status'],
      exit: 2,
      line: 'pes: Invalid configuration',
    },
  ],
  [
    'an invalid configuration, in Russian by default',
    {
      kind: 'cli',
      config: 'invalid',
      args: ['status'],
      exit: 2,
      line: 'pes: Ошибка в конфигурации',
    },
  ],
  // Docker (README "How it behaves"): an engine nobody listens for.
  [
    'status with Docker down',
    {
      kind: 'cli',
      config: 'docker-down',
      args: ['status', 'moodle'],
      exit: 1,
      code: 'docker-unreachable',
      line: 'Cannot reach the Docker engine at unix://',
    },
  ],
  [
    'restart with Docker down',
    {
      kind: 'cli',
      config: 'docker-down',
      args: ['restart', 'moodle'],
      exit: 1,
      code: 'docker-unreachable',
      line: 'Cannot reach the Docker engine at unix://',
      failedJob: true,
    },
  ],
  // One mutating job per service (README "How it behaves").
  [
    'a second job on a busy service',
    {
      kind: 'cli',
      config: 'busy',
      args: ['restart', 'moodle'],
      exit: 1,
      code: 'service-busy',
      line: 'moodle is busy: job 1, backup by anna',
    },
  ],
  // Backups (README "Backups").
  [
    'restore from a path',
    {
      kind: 'cli',
      args: ['restore', 'moodle', '../../etc'],
      exit: 2,
      code: 'backup-snapshot-invalid',
      line: '"../../etc" is not a snapshot',
    },
  ],
  [
    'restore of another service',
    {
      kind: 'cli',
      args: ['restore', 'nope', 'latest'],
      exit: 2,
      code: 'unknown-service',
      line: 'Unknown service "nope".',
    },
  ],
  [
    'restore with nothing backed up',
    {
      kind: 'cli',
      args: ['restore', 'moodle', 'latest'],
      exit: 2,
      code: 'backup-no-snapshots',
      line: 'moodle has no snapshots yet.',
    },
  ],
  [
    'backup with a reserved tag',
    {
      kind: 'cli',
      args: ['backup', 'moodle', '--tag', 'safety'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid --tag: "safety"',
    },
  ],
  [
    'backup of an unknown service',
    {
      kind: 'cli',
      args: ['backup', 'nope'],
      exit: 2,
      code: 'unknown-service',
      line: 'Unknown service "nope".',
    },
  ],
  [
    'backup --only with a bad kind',
    {
      kind: 'cli',
      args: ['backup', 'moodle', '--only', 'tables'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid --only: "tables"',
    },
  ],
  [
    'backups with a locked repository',
    {
      kind: 'cli',
      config: 'locked',
      args: ['backups', 'moodle'],
      exit: 1,
      code: 'backup-repo-locked',
      line: 'The repository',
    },
  ],
  // Alerts (README "Alerts"), as commands.
  [
    'silence longer than 90 days',
    {
      kind: 'cli',
      args: ['silence', 'alertname=X', '100d'],
      exit: 2,
      code: 'silence-bad-duration',
      line: 'Cannot read the duration "100d"',
    },
  ],
  [
    'silence that matches everything',
    {
      kind: 'cli',
      args: ['silence', 'alertname=~.*', '1h'],
      exit: 2,
      code: 'silence-matches-all',
      line: 'That silence would mute every alert.',
    },
  ],
  [
    'acknowledge of no alert thread',
    {
      kind: 'cli',
      args: ['alerts', 'ack', 'x'],
      exit: 2,
      code: 'invalid-argument',
      line: 'Invalid id: "x"',
    },
  ],
  // Mattermost (README "Mattermost"): the slash command endpoint.
  [
    'slash: wrong token',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: form,
      body: (h) => slashForm('status', 'wrong')(h),
      status: 401,
      line: 'Invalid slash command token.',
    },
  ],
  [
    'slash: no token',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: form,
      body: 'channel_id=x&user_id=y&text=status',
      status: 401,
      line: 'Invalid slash command token.',
    },
  ],
  [
    'slash: no channel or user',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: form,
      body: `token=${slashToken}&text=status`,
      status: 400,
      line: 'malformed slash command request',
    },
  ],
  [
    'slash: JSON instead of a form',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: { ...json, authorization: `Token ${slashToken}` },
      body: '{"text":"status"}',
      status: 400,
      line: 'malformed slash command request',
    },
  ],
  [
    'slash: 5 MB body',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: form,
      body: `text=${fiveMegabytes}`,
      status: 413,
      line: 'payload-too-large',
    },
  ],
  [
    'slash: PUT',
    {
      kind: 'http',
      method: 'PUT',
      path: '/mattermost/command',
      headers: form,
      body: 'text=status',
      status: 405,
      line: 'method-not-allowed',
    },
  ],
  [
    'slash: scale below zero',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: form,
      body: slashForm('scale moodle -1'),
      status: 200,
      line: 'Invalid replicas: "-1"',
    },
  ],
  [
    'slash: unknown command',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/command',
      headers: form,
      body: slashForm('frobnicate'),
      status: 200,
      line: 'Unknown command "frobnicate".',
    },
  ],
  // Mattermost: the button endpoint.
  [
    'button: malformed JSON',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/actions',
      headers: json,
      body: '{"user_id":',
      status: 400,
      line: 'malformed JSON',
    },
  ],
  [
    'button: not a click',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/actions',
      headers: json,
      body: '[1,2]',
      status: 400,
      line: 'malformed action request',
    },
  ],
  [
    'button: no signature',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/actions',
      headers: json,
      body: (h) =>
        JSON.stringify({
          user_id: h.admin.id,
          channel_id: h.ops.id,
          post_id: 'p'.repeat(26),
          context: { command: 'confirm ZZZZ' },
        }),
      status: 200,
      line: errorTexts['mattermost-action-invalid'].message.en,
    },
  ],
  [
    'button: 5 MB body',
    {
      kind: 'http',
      method: 'POST',
      path: '/mattermost/actions',
      headers: json,
      body: `{"x":"${fiveMegabytes}"}`,
      status: 413,
      line: 'payload-too-large',
    },
  ],
  [
    'button: GET',
    {
      kind: 'http',
      method: 'GET',
      path: '/mattermost/actions',
      status: 405,
      line: 'method-not-allowed',
    },
  ],
  // Alerts: the Alertmanager webhook.
  [
    'webhook: wrong token',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: { ...json, authorization: 'Bearer wrong' },
      body: '{}',
      status: 401,
      line: 'unauthorized',
    },
  ],
  [
    'webhook: no token',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: json,
      body: '{}',
      status: 401,
      line: 'unauthorized',
    },
  ],
  [
    'webhook: basic instead of bearer',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: { ...json, authorization: `Basic ${alertToken}` },
      body: '{}',
      status: 401,
      line: 'unauthorized',
    },
  ],
  [
    'webhook: 5 MB body',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: bearer,
      body: `{"x":"${fiveMegabytes}"}`,
      status: 413,
      line: 'payload-too-large',
    },
  ],
  [
    'webhook: malformed JSON',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: bearer,
      body: '{"version":',
      status: 400,
      line: 'malformed-json',
    },
  ],
  [
    'webhook: empty body',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: bearer,
      body: '',
      status: 400,
      line: 'empty-body',
    },
  ],
  [
    'webhook: version 3',
    {
      kind: 'http',
      method: 'POST',
      path: '/alertmanager',
      headers: bearer,
      body: '{"version":"3","groupKey":"g","status":"firing","alerts":[]}',
      status: 400,
      line: 'invalid-payload',
    },
  ],
  [
    'webhook: GET',
    {
      kind: 'http',
      method: 'GET',
      path: '/alertmanager',
      headers: bearer,
      status: 405,
      line: 'method-not-allowed',
    },
  ],
  // The server (README "Quick start"): /metrics, health, unknown paths.
  [
    'metrics: no token',
    { kind: 'http', method: 'GET', path: '/metrics', status: 401, line: 'unauthorized' },
  ],
  [
    'metrics: wrong token',
    {
      kind: 'http',
      method: 'GET',
      path: '/metrics',
      headers: { authorization: 'Bearer wrong' },
      status: 401,
      line: 'unauthorized',
    },
  ],
  [
    'health: POST',
    { kind: 'http', method: 'POST', path: '/healthz', status: 405, line: 'method-not-allowed' },
  ],
  [
    'an unknown path',
    { kind: 'http', method: 'GET', path: '/nope', status: 404, line: 'not-found' },
  ],
  // Matrix (README "Matrix").
  [
    'matrix: unknown command',
    {
      kind: 'matrix',
      room: 'ops',
      body: '!pes frobnicate',
      code: 'unknown-command',
      line: 'Unknown command "frobnicate".',
    },
  ],
  [
    'matrix: scale below zero',
    {
      kind: 'matrix',
      room: 'ops',
      body: '!pes scale moodle -1',
      code: 'invalid-argument',
      line: 'Invalid replicas: "-1"',
    },
  ],
  [
    'matrix: a message over 8 KiB',
    {
      kind: 'matrix',
      room: 'ops',
      body: `!pes echo ${'x'.repeat(9000)}`,
      code: 'matrix-message-too-long',
      line: 'The message is too long for a command',
    },
  ],
  [
    'matrix: a room not served',
    {
      kind: 'matrix',
      room: 'other',
      body: '!pes status',
      code: 'matrix-room-not-served',
      line: 'The bot does not take commands in this room.',
    },
  ],
  [
    'matrix: clear text in an encrypted room',
    {
      kind: 'matrix',
      room: 'ops',
      body: '!pes status',
      encrypted: 'clear-text-in-encrypted-room',
      code: 'matrix-command-not-encrypted',
      line: 'In an encrypted room the bot runs only encrypted commands',
    },
  ],
];

// ——— the world the rows run in ———

const dir = mkdtempSync(join(tmpdir(), 'pes-bad-input-'));
let bed: DockerTestBed;
let project: string;
let volume: string;
let h: Harness;
let alertsDb: DatabaseSync;
const repos = { main: join(dir, 'repo'), locked: join(dir, 'repo-locked') };
const workdirs: Record<NonNullable<CliRow['config']>, string> = {
  main: join(dir, 'main'),
  'docker-down': join(dir, 'docker-down'),
  locked: join(dir, 'locked'),
  invalid: join(dir, 'invalid'),
  busy: join(dir, 'busy'),
};

function restic(repository: string, args: readonly string[]): string {
  const result = spawnSync('restic', ['-r', repository, ...args], {
    env: { ...process.env, RESTIC_PASSWORD: repoPassword },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`restic ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function snapshotCount(repository: string): number {
  return (JSON.parse(restic(repository, ['snapshots', '--json', '--no-lock'])) as unknown[]).length;
}

function configText(repository: string, extra = ''): string {
  return `
locale: en
state: { path: state/pes.db }
services:
  moodle:
    containers: { compose: { project: ${project}, service: moodle } }
    scale: { min: 0, max: 3 }
    volumes: [${volume}]
${extra}
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
backup:
  engine: restic
  repository: ${repository}
  password: '\${PES_BACKUP_PASSWORD}'
alerts:
  token: '\${PES_ALERTS_TOKEN}'
  alertmanagerUrl: http://127.0.0.1:9
  defaultRoom: mattermost:${'a'.repeat(26)}
`;
}

function writeConfig(name: keyof typeof workdirs, text: string): void {
  spawnSync('mkdir', ['-p', workdirs[name]]);
  writeFileSync(join(workdirs[name], 'pes.yaml'), text);
}

/** The jobs in a workdir's state database, by id (none before the first run). */
function jobStates(workdir: string): Map<number, string> {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(join(workdir, 'state/pes.db'), { readOnly: true });
  } catch {
    return new Map();
  }
  try {
    const rows = db.prepare('SELECT id, state FROM jobs').all() as { id: number; state: string }[];
    return new Map(rows.map((r) => [r.id, r.state]));
  } finally {
    db.close();
  }
}

// The Matrix front end, on its own database: the real event handler with a bot.
const mx = (() => {
  const db = openDatabase(':memory:');
  const log = createLogger({ level: 'error', write: () => undefined });
  const catalog = chatCatalog({
    admin: 'matrix:@anna:example.org',
    operator: 'matrix:@oleg:example.org',
    operatorCommands: [],
    secrets: [],
  });
  const bot = chatBot({ db, catalog, log, extra: [echo] });
  const outbox = new MatrixOutbox(new SqliteOutboxStore(db), () => undefined);
  const conversation = new Conversation({
    settings: {
      homeserverUrl: 'http://127.0.0.1:1',
      userId: '@pes:example.org',
      accessToken: 'matrix-token-0123456789',
      deviceId: 'DEVICEID01',
      allowedInviters: [],
      allowedRooms: [],
      rooms: ['!ops:example.org'],
    },
    bot,
    outbox,
    state: new SqliteMatrixState(db),
    render: (message, roomId) =>
      renderMessage(message, bot.localeFor({ room: { id: roomOf(roomId) } })),
    isDirect: () => false,
    settlePrompts: () => undefined,
    log,
    maxAgeMs: 15 * 60 * 1000,
  });
  return { db, conversation };
})();

beforeAll(async () => {
  bed = new DockerTestBed();
  project = bed.project('moodle');
  volume = `${bed.runId}-moodledata`;
  await bed.docker.createVolume({ Name: volume, Labels: { 'pes.test': '1' } });
  await bed.createContainer({ compose: { project, service: 'moodle' } });
  restic(repos.main, ['init']);
  restic(repos.locked, ['init']);
  await leaveStaleResticLock(repos.locked);
  writeConfig('main', configText(repos.main));
  writeConfig('docker-down', configText(repos.main));
  writeConfig('locked', configText(repos.locked));
  writeConfig('invalid', configText(repos.main, '    colour: red'));
  writeConfig('busy', configText(repos.main));
  // A backup of moodle still running, held by this (live) process.
  mkdirSync(join(workdirs.busy, 'state'), { recursive: true });
  const busyDb = openDatabase(join(workdirs.busy, 'state/pes.db'));
  const jobs = new SqliteJobStore(busyDb);
  const held = jobs.create({
    command: 'backup',
    text: 'backup moodle',
    actor: 'local:anna',
    room: 'terminal',
    service: 'moodle',
    lockKey: 'moodle',
  });
  if ('holder' in held) throw new Error('unexpected lock');
  jobs.transition(held.id, 'running');
  busyDb.close();

  alertsDb = openDatabase(join(dir, 'alerts.db'));
  h = await startHarness({
    noStart: true,
    extraRoutes: [
      ...alertmanagerRoutes('/alertmanager', {
        credentials: { kind: 'bearer', token: alertToken },
        maxBodyBytes: 4 * 1024 * 1024,
        inbox: new SqliteAlertInbox(alertsDb),
        counters: new AlertCounters(),
        log: createLogger({ level: 'error', write: () => undefined }),
      }),
      metricsRoute(metricsToken, new Registry()),
    ],
  });
}, 120_000);

afterAll(async () => {
  await h.close();
  alertsDb.close();
  mx.db.close();
  await bed.cleanup();
  await bed.docker.getVolume(volume).remove({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

// ——— how each kind of row is checked ———

function linesOf(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

function hasHint(code: ErrorCode): boolean {
  return 'hint' in errorTexts[code];
}

async function checkCli(row: CliRow): Promise<void> {
  const workdir = workdirs[row.config ?? 'main'];
  const env: NodeJS.ProcessEnv = {
    PES_BACKUP_PASSWORD: repoPassword,
    PES_ALERTS_TOKEN: alertToken,
    // Docker down: a socket path nobody listens on.
    DOCKER_HOST:
      row.config === 'docker-down'
        ? `unix://${join(dir, 'nobody.sock')}`
        : (process.env['DOCKER_HOST'] ?? ''),
  };
  const containers = await engineSnapshot(bed);
  const jobs = jobStates(workdir);
  const repository = row.config === 'locked' ? repos.locked : repos.main;
  const snapshots = snapshotCount(repository);
  const args = ['--config', join(workdir, 'pes.yaml'), ...row.args];
  const asJsonRun = (): Promise<Awaited<ReturnType<typeof runPes>>> | undefined =>
    row.code === undefined ? undefined : runPes([...args, '--json'], { cwd: workdir, env });
  // Two runs of a command that starts a job would meet each other's service lock, and the
  // second would rightly answer "busy": those run one after the other.
  const [shown, asJson] =
    row.failedJob === true
      ? [await runPes(args, { cwd: workdir, env }), await asJsonRun()]
      : await Promise.all([runPes(args, { cwd: workdir, env }), asJsonRun()]);

  // As a person sees it: the line, and its hint under it when it has one; nothing else.
  expect(shown.code, shown.stderr).toBe(row.exit);
  expect(shown.stdout).toBe('');
  const lines = linesOf(shown.stderr);
  if (row.code === undefined) {
    expect(lines, shown.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${escapeRe(row.line)}`));
  } else {
    expect(lines, shown.stderr).toHaveLength(hasHint(row.code) ? 2 : 1);
    expect(lines[0], shown.stderr).toMatch(new RegExp(`^✖ ${escapeRe(row.line)}`));
  }
  // The stable code, by --json.
  if (asJson !== undefined) {
    expect(asJson.code, asJson.stderr).toBe(row.exit);
    const outcome = JSON.parse(asJson.stdout) as { errorCode?: string; message: { text?: string } };
    expect(outcome.errorCode).toBe(row.code);
    expect(linesOf(outcome.message.text ?? '')[0]).toMatch(new RegExp(`^${escapeRe(row.line)}`));
  }

  // Nothing changed.
  expect(await engineSnapshot(bed)).toEqual(containers);
  expect(snapshotCount(repository)).toBe(snapshots);
  const after = jobStates(workdir);
  const opened = [...after].filter(([id]) => !jobs.has(id));
  if (row.failedJob === true) for (const [, state] of opened) expect(state).toBe('failed');
  else expect(opened).toEqual([]);
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every string an answer shows: its text, error, ephemeral text and attachments. */
function shownStrings(json: unknown, text: string): string[] {
  if (json === null || typeof json !== 'object') return [text];
  const b = json as Record<string, unknown>;
  const out: string[] = [];
  for (const key of ['text', 'error', 'ephemeral_text']) {
    if (typeof b[key] === 'string') out.push(b[key]);
  }
  if (Array.isArray(b['attachments'])) {
    for (const a of b['attachments'] as Record<string, unknown>[]) {
      for (const key of ['title', 'text']) if (typeof a[key] === 'string') out.push(a[key]);
    }
  }
  return out;
}

const chatTables = ['audit', 'jobs', 'confirmations', 'outbox'];

function counts(db: DatabaseSync, tables: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    out[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  return out;
}

async function checkHttp(row: HttpRow): Promise<void> {
  const before = { chat: counts(h.db, chatTables), alerts: counts(alertsDb, ['alert_batches']) };
  const body = typeof row.body === 'function' ? row.body(h) : row.body;
  const reply = await send(`${h.baseUrl}${row.path}`, {
    method: row.method,
    headers: row.headers ?? {},
    ...(body === undefined ? {} : { body }),
  });
  expect(reply.status, reply.text.slice(0, 300)).toBe(row.status);
  const shown = shownStrings(reply.json, reply.text);
  const matching = shown.filter((s) => s.includes(row.line));
  expect(matching, JSON.stringify(shown)).toHaveLength(1);
  // The line, and a hint under it at most.
  expect(linesOf(matching[0] ?? '').length).toBeLessThanOrEqual(2);
  const after = { chat: counts(h.db, chatTables), alerts: counts(alertsDb, ['alert_batches']) };
  // A command refused by the bot is audited (README "How it behaves"); nothing else moves.
  if (row.status === 200 && row.path === '/mattermost/command') {
    expect({ ...after.chat, audit: 0 }).toEqual({ ...before.chat, audit: 0 });
    expect(after.alerts).toEqual(before.alerts);
  } else {
    expect(after).toEqual(before);
  }
}

let eventSeq = 0;

async function checkMatrix(row: MatrixRow): Promise<void> {
  const before = counts(mx.db, ['jobs', 'confirmations']);
  const fromId = (
    mx.db.prepare('SELECT coalesce(max(id), 0) AS id FROM outbox').get() as {
      id: number;
    }
  ).id;
  const event: InboundEvent = {
    eventId: `$bad${++eventSeq}`,
    roomId: row.room === 'ops' ? '!ops:example.org' : '!other:example.org',
    sender: '@anna:example.org',
    type: 'm.room.message',
    originTs: Date.now(),
    content: { msgtype: 'm.text', body: row.body },
    encrypted: false,
    roomEncrypted: row.encrypted === 'clear-text-in-encrypted-room',
  };
  await mx.conversation.handle(event, '@pes:example.org');
  const posts = mx.db
    .prepare("SELECT payload FROM outbox WHERE id > ? AND kind = 'post'")
    .all(fromId) as { payload: string }[];
  expect(posts).toHaveLength(1);
  const payload = JSON.parse(posts[0]?.payload ?? '{}') as { content?: { body?: string } };
  const shown = payload.content?.body ?? '';
  expect(shown).toContain(row.line);
  expect(linesOf(shown).length, shown).toBeLessThanOrEqual(2);
  expect(counts(mx.db, ['jobs', 'confirmations'])).toEqual(before);
}

describe('bad input: each gets its status or exit code and one line, and changes nothing', () => {
  it.each(rows)(
    '%s',
    async (_name, row) => {
      if (row.kind === 'cli') await checkCli(row);
      else if (row.kind === 'http') await checkHttp(row);
      else await checkMatrix(row);
    },
    90_000,
  );
});
