/**
 * The terminal's own flags, taken out of argv wherever they stand, so that
 * `pes --json status` and `pes status --json` both work. Everything else goes to the command
 * parser that chat uses too.
 */
import { isLocale, type Locale } from '../core/i18n.ts';

export interface GlobalFlags {
  readonly config: string | undefined;
  readonly json: boolean;
  readonly yes: boolean;
  readonly lang: Locale | undefined;
  readonly version: boolean;
  /** `--help` or `-h`: help on the command named (`pes backup --help`), else on all. */
  readonly help: boolean;
  readonly words: readonly string[];
}

export class FlagError extends Error {}

export function takeGlobalFlags(argv: readonly string[]): GlobalFlags {
  let config: string | undefined;
  let lang: Locale | undefined;
  let json = false;
  let yes = false;
  let version = false;
  let help = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new FlagError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json') json = true;
    else if (flag === '--yes' || flag === '-y') yes = true;
    else if (flag === '--version' || flag === '-V') version = true;
    else if (flag === '--help' || flag === '-h') help = true;
    else if (flag === '--config') config = value();
    else if (flag === '--lang') {
      const v = value();
      if (!isLocale(v)) throw new FlagError(`--lang must be ru or en, not ${v.slice(0, 20)}`);
      lang = v;
    } else words.push(arg);
  }
  return { config, json, yes, lang, version, help, words };
}

/**
 * The words to run for `--help`: `pes --help` is `help`, `pes backup moodle --help` is
 * `help backup`, the way the chat's own `help <command>` explains one command.
 */
export function helpWords(flags: GlobalFlags): readonly string[] {
  if (!flags.help) return flags.words;
  const named = flags.words[0] === 'help' ? flags.words[1] : flags.words[0];
  return named === undefined ? ['help'] : ['help', named];
}

/** Quotes argv words so that the chat tokenizer gives the same words back. */
export function joinWords(words: readonly string[]): string {
  return words
    .map((w) => (w !== '' && /^[^\s'"«»“”\\]+$/u.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
