/**
 * Mattermost: the server answers at `url` and takes the bot's token (GET /api/v4/users/me,
 * the Mattermost API reference), the slash command's token is set, and `publicUrl`, where
 * Mattermost sends button clicks, reaches this bot from this host.
 */
import type { LoadedConfig } from '../config/load.ts';
import type { MattermostConfig } from '../config/mattermost.ts';
import { actionsPath } from '../chat/mattermost/adapter.ts';
import { commandPath } from '../server/mattermost-routes.ts';
import { cannot, fail, ok, type Check, type Finding } from './check.ts';
import { plural } from './format.ts';
import { field, probe } from './http-probe.ts';

export function mattermostChecks(config: LoadedConfig): Check[] {
  const mm = config.mattermost;
  if (mm === undefined) return [];
  const local = `http://${hostForUrl(config.server.host)}:${config.server.port}`;
  const checks: Check[] = [
    { title: { ru: 'Mattermost', en: 'Mattermost' }, run: (signal) => account(mm, signal) },
    {
      title: { ru: 'Mattermost: /pes', en: 'Mattermost: /pes' },
      run: () => Promise.resolve(slash(mm, local)),
    },
  ];
  const publicUrl = mm.publicUrl;
  if (publicUrl !== undefined) {
    checks.push({
      title: { ru: 'Mattermost: publicUrl', en: 'Mattermost: publicUrl' },
      run: (signal) => reachable(publicUrl, local, signal),
    });
  }
  return checks;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function account(mm: MattermostConfig, signal: AbortSignal): Promise<Finding> {
  const answer = await probe(`${mm.url}/api/v4/users/me`, {
    signal,
    headers: { authorization: `Bearer ${mm.botToken}` },
  });
  if (!answer.answered) {
    return fail(
      { ru: `${mm.url}: ${answer.reason.ru}`, en: `${mm.url}: ${answer.reason.en}` },
      {
        ru: 'Проверьте mattermost.url и что сервер Mattermost доступен с этой машины.',
        en: 'Check mattermost.url and that the Mattermost server can be reached from this host.',
      },
    );
  }
  if (answer.status === 401 || answer.status === 403) {
    return fail(
      {
        ru: `${mm.url}: токен бота не принят (HTTP ${answer.status})`,
        en: `${mm.url}: the bot token was refused (HTTP ${answer.status})`,
      },
      {
        ru: 'Создайте токен бота заново (System Console → Integrations → Bot Accounts) и обновите секрет mattermost.botToken.',
        en: 'Make a new bot token (System Console → Integrations → Bot Accounts) and update the secret mattermost.botToken.',
      },
    );
  }
  const username = field(answer.body, 'username');
  if (answer.status !== 200 || username === undefined) {
    return fail({
      ru: `${mm.url}: неожиданный ответ HTTP ${answer.status} на /api/v4/users/me`,
      en: `${mm.url}: unexpected answer HTTP ${answer.status} to /api/v4/users/me`,
    });
  }
  const isBot =
    typeof answer.body === 'object' &&
    answer.body !== null &&
    'is_bot' in answer.body &&
    answer.body.is_bot === true;
  return ok(
    isBot
      ? { ru: `${mm.url}: бот @${username}`, en: `${mm.url}: bot @${username}` }
      : {
          ru: `${mm.url}: @${username} (обычная учётная запись, не бот)`,
          en: `${mm.url}: @${username} (a user account, not a bot)`,
        },
  );
}

function slash(mm: MattermostConfig, local: string): Finding {
  const count = mm.slashTokens.length;
  if (count > 0) {
    return ok({
      ru: `${plural(count, 'ru', { one: 'токен команды', few: 'токена команды', other: 'токенов команды' })}; адрес запроса — …${commandPath}`,
      en: `${plural(count, 'en', { one: 'command token', other: 'command tokens' })}; request URL …${commandPath}`,
    });
  }
  const base = mm.publicUrl ?? local;
  return fail(
    {
      ru: 'токен slash-команды не задан: /pes в Mattermost будет отклонена',
      en: 'no slash command token: /pes in Mattermost would be refused',
    },
    {
      ru: `Создайте команду /pes (Integrations → Slash Commands, Request URL ${base}${commandPath}) и добавьте её токен в mattermost.slashTokens.`,
      en: `Create the /pes command (Integrations → Slash Commands, Request URL ${base}${commandPath}) and add its token to mattermost.slashTokens.`,
    },
  );
}

/**
 * The actions endpoint takes only POST: a GET that reaches the bot is answered 405 with the
 * bot's own JSON body, which tells it from a proxy's error page.
 */
async function reachable(publicUrl: string, local: string, signal: AbortSignal): Promise<Finding> {
  const url = `${publicUrl}${actionsPath}`;
  const answer = await probe(url, { signal });
  if (
    answer.answered &&
    answer.status === 405 &&
    field(answer.body, 'error') === 'method-not-allowed'
  ) {
    return ok({ ru: `${url} отвечает`, en: `${url} answers` });
  }
  const running = await probe(`${local}/healthz`, { signal });
  if (!running.answered) {
    return cannot(
      {
        ru: `не проверен: pes serve не запущен (${local} не отвечает)`,
        en: `not checked: pes serve is not running (${local} does not answer)`,
      },
      {
        ru: 'Запустите pes serve и повторите pes doctor.',
        en: 'Start pes serve and run pes doctor again.',
      },
    );
  }
  const what = answer.answered
    ? { ru: `HTTP ${answer.status} не от бота`, en: `HTTP ${answer.status}, not from the bot` }
    : answer.reason;
  return fail(
    { ru: `${url}: ${what.ru}`, en: `${url}: ${what.en}` },
    {
      ru: `Прокси перед ботом должен передавать /mattermost/ на ${local} (пример: deploy/nginx-pes-bot.conf).`,
      en: `The proxy in front of the bot must pass /mattermost/ on to ${local} (example: deploy/nginx-pes-bot.conf).`,
    },
  );
}
