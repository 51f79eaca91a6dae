/**
 * The `pes` command: `pes <command> [args]` runs one command through the same path chat
 * uses and exits 0 ok, 1 failed, 2 bad usage or config, 3 not permitted; `pes serve` runs
 * the long-lived bot.
 */
import { userInfo } from 'node:os';
import { createApp } from './app.ts';
import { FlagError, joinWords, takeGlobalFlags } from './cli/global-flags.ts';
import { runOnce } from './cli/run-once.ts';
import { serve } from './cli/serve.ts';
import { loadConfig } from './config/load.ts';
import { exitCodes, isUserError } from './core/errors.ts';
import { localeFromEnv } from './core/i18n.ts';

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
    process.stdout.write(
      `pes-bot ${process.env['npm_package_version'] ?? '0.1.0'} (node ${process.versions.node})\n`,
    );
    return exitCodes.ok;
  }
  const username = userInfo().username;
  let config;
  try {
    config = loadConfig({ flag: flags.config, env: process.env, cwd: process.cwd(), username });
  } catch (error) {
    if (!isUserError(error)) throw error;
    process.stderr.write(`pes: ${error.text(flags.lang ?? localeFromEnv())}\n`);
    return exitCodes.usage;
  }
  const words = flags.words.length === 0 ? ['help'] : flags.words;
  if (words[0] === 'serve') return serve(config, { lang: flags.lang, username });
  const app = await createApp(config, { logLevel: 'warn' });
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

process.exitCode = await main(process.argv.slice(2));
