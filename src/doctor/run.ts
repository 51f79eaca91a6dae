/**
 * `pes doctor`: every check the configuration calls for, one line each, in order, while
 * they run side by side. Terminal only: it reads this host's files, sockets and programs.
 * Exit codes: 0 everything checked is fine; 1 a check failed or could not run; 2 the
 * configuration cannot be read (then nothing else is checked).
 */
import { loadConfig, type ConfigSource, type LoadedConfig } from '../config/load.ts';
import { exitCodes, isUserError } from '../core/errors.ts';
import { localeFromEnv, type Locale } from '../core/i18n.ts';
import { makeRedactor } from '../core/logger.ts';
import { alertmanagerChecks } from './alertmanager-checks.ts';
import { backupChecks } from './backup-checks.ts';
import { defaultCheckTimeoutMs, fromError, runCheck, type Check, type Status } from './check.ts';
import { dockerChecks } from './docker-checks.ts';
import { matrixChecks } from './matrix-checks.ts';
import { mattermostChecks } from './mattermost-checks.ts';
import { findingLine, summaryLine } from './render.ts';
import { configFinding, stateCheck } from './state-checks.ts';

export interface DoctorOptions {
  readonly lang: Locale | undefined;
  readonly json: boolean;
  readonly out?: { write(text: string): unknown };
  readonly timeoutMs?: number;
}

const configTitle = { ru: 'Конфигурация', en: 'Configuration' } as const;

export function doctorChecks(
  config: LoadedConfig,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Check[] {
  return [
    stateCheck(config.statePath),
    ...dockerChecks(config, env, timeoutMs),
    ...backupChecks(config),
    ...mattermostChecks(config),
    ...matrixChecks(config),
    ...alertmanagerChecks(config),
  ];
}

export async function runDoctor(
  source: ConfigSource & { readonly username?: string },
  options: DoctorOptions,
): Promise<number> {
  const out = options.out ?? process.stdout;
  const timeoutMs = options.timeoutMs ?? defaultCheckTimeoutMs;
  const rows: { check: string; status: Status; detail: string; hint?: string }[] = [];
  let config: LoadedConfig;
  try {
    config = loadConfig(source);
  } catch (error) {
    if (!isUserError(error)) throw error;
    const locale = options.lang ?? localeFromEnv(source.env);
    const finding = fromError(error);
    if (options.json) {
      out.write(JSON.stringify({ ok: false, checks: [row(configTitle, finding, locale)] }) + '\n');
    } else {
      out.write(findingLine(configTitle, finding, locale) + '\n');
    }
    return exitCodes.usage;
  }
  const locale = options.lang ?? config.catalog.locale;
  // Every line goes through the redactor: no check may show a secret, whatever it quotes.
  const redact = makeRedactor([
    ...config.catalog.secrets,
    ...config.secrets.values(),
    ...config.databasePasswords.values(),
  ]);
  const emit = (title: Check['title'], finding: Parameters<typeof findingLine>[1]): void => {
    const shown = row(title, finding, locale);
    rows.push({
      ...shown,
      detail: redact(shown.detail),
      ...(shown.hint === undefined ? {} : { hint: redact(shown.hint) }),
    });
    if (!options.json) out.write(redact(findingLine(title, finding, locale)) + '\n');
  };
  emit(configTitle, configFinding(config));
  const checks = doctorChecks(config, source.env, timeoutMs);
  const running = checks.map((check) => runCheck(check, timeoutMs));
  for (const [index, check] of checks.entries()) {
    emit(check.title, await (running[index] ?? Promise.reject(new Error('no check'))));
  }
  const statuses = rows.map((r) => r.status);
  const allFine = statuses.every((s) => s === 'ok');
  if (options.json) out.write(JSON.stringify({ ok: allFine, checks: rows }) + '\n');
  else out.write(summaryLine(statuses, locale) + '\n');
  return allFine ? exitCodes.ok : exitCodes.failed;
}

function row(
  title: Check['title'],
  finding: Parameters<typeof findingLine>[1],
  locale: Locale,
): { check: string; status: Status; detail: string; hint?: string } {
  return {
    check: title[locale],
    status: finding.status,
    detail: finding.detail[locale],
    ...(finding.hint === undefined ? {} : { hint: finding.hint[locale] }),
  };
}
