/**
 * The `pes` command: `pes <command> [args]` runs one command through the same path chat
 * uses and exits 0 ok, 1 failed, 2 bad usage or config, 3 not permitted; `pes serve` runs
 * the long-lived bot.
 */
import { userInfo } from 'node:os';
import { commands } from '../commands/index.ts';
import { createApp } from './app.ts';
import { FlagError, helpWords, joinWords, takeGlobalFlags } from './cli/global-flags.ts';
import { runOnce } from './cli/run-once.ts';
import { serve } from './cli/serve.ts';
import { isTerminalCommand, terminalCommandHelp, terminalUsage } from './cli/terminal-help.ts';
import { packageVersion } from './cli/version.ts';
import { runDoctor } from './doctor/run.ts';
import { runInit } from './init/run.ts';
import { loadConfig } from './config/load.ts';
import { exitCodes, isUserError } from './core/errors.ts';
import { localeFromEnv, type Locale } from './core/i18n.ts';

async function main(argv: readonly string[]): Promise<number> {
  let flags;
  try {
    flags = takeGlobalFlags(argv);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`pes: ${error.message}\n`);
    return exitCodes.usage;
  }
  if (flags.version) {
    process.stdout.write(`pes-bot ${packageVersion()} (node ${process.versions.node})\n`);
    return exitCodes.ok;
  }
  const first = flags.words[0];
  // `pes serve --help`, `pes help doctor`: the terminal's own commands are explained here.
  const asked = flags.help ? helpWords(flags)[1] : first === 'help' ? flags.words[1] : undefined;
  if (isTerminalCommand(asked)) {
    process.stdout.write(terminalCommandHelp(asked, flags.lang ?? localeFromEnv()) + '\n');
    return exitCodes.ok;
  }
  const username = userInfo().username;
  // The registry's commands: a role that grants an unknown one is a configuration error.
  const source = { flag: flags.config, env: process.env, cwd: process.cwd(), username, commands };
  // The doctor reads the configuration itself: that it cannot be read is its first finding.
  if (first === 'doctor') return runDoctor(source, { lang: flags.lang, json: flags.json });
  // `pes init` writes the configuration: there is none to read yet.
  if (first === 'init') {
    return runInit({
      flag: flags.config,
      projects: flags.words.slice(1),
      env: process.env,
      cwd: process.cwd(),
      lang: flags.lang,
      commands,
    });
  }
  let config;
  try {
    config = loadConfig(source);
  } catch (error) {
    if (!isUserError(error)) throw error;
    if (flags.help) process.stdout.write(terminalUsage(flags.lang ?? localeFromEnv()) + '\n\n');
    process.stderr.write(`pes: ${error.text(flags.lang ?? localeFromEnv())}\n`);
    return exitCodes.usage;
  }
  const words = flags.words.length === 0 ? ['help'] : helpWords(flags);
  if (words[0] === 'serve') {
    return serve(config, { lang: flags.lang, username }).catch((error: unknown) =>
      startFailed(error, flags.lang ?? config.catalog.locale),
    );
  }
  // `pes --help` shows the terminal's flags and own commands above the chat's command list.
  if (flags.help && words.length === 1 && !flags.json) {
    process.stdout.write(terminalUsage(flags.lang ?? config.catalog.locale) + '\n\n');
  }
  let app;
  try {
    app = await createApp(config, { logLevel: 'warn' });
  } catch (error) {
    return startFailed(error, flags.lang ?? config.catalog.locale);
  }
  try {
    return await runOnce(app, {
      text: joinWords(words),
      actorId: `local:${username}`,
      json: flags.json,
      yes: flags.yes,
      lang: flags.lang,
    });
  } finally {
    app.close();
  }
}

/** A start that cannot go on for a reason the person can fix: its line and hint, no stack. */
function startFailed(error: unknown, locale: Locale): number {
  if (!isUserError(error)) throw error;
  process.stderr.write(`pes: ${error.text(locale)}\n`);
  const hint = error.hint(locale);
  if (hint !== undefined) process.stderr.write(`${hint}\n`);
  return exitCodes[error.kind];
}

process.exitCode = await main(process.argv.slice(2));
