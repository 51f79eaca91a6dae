/**
 * The contract of a command: a declarative definition the registry, the help, the chat
 * parser and the terminal all read. Each file in commands/ exports one.
 */
import type { z } from 'zod';
import type { CommandContext } from './context.ts';
import type { Text } from './i18n.ts';
import type { Message } from './message.ts';

export interface ArgumentSpec {
  readonly name: string;
  readonly description: Text;
  /**
   * Validates and converts the raw token; `.optional()` makes the argument optional. A
   * variadic argument (the last one) gets every remaining token as a string array.
   */
  readonly schema: z.ZodType<unknown, string | undefined> | z.ZodType<unknown, string[]>;
  readonly variadic?: boolean;
  /** The value must name a service of the catalog; checked before the schema. */
  readonly service?: boolean;
  /** Words a service argument takes besides the catalog's services (`backup unlock`). */
  readonly serviceOr?: readonly string[];
}

export interface OptionSpec {
  /** The key in the command's input, e.g. `last`. */
  readonly name: string;
  /** Commander flags, e.g. `--last <n>` or `--dry-run`. */
  readonly flags: string;
  readonly description: Text;
  /** A repeatable option (`--path <path...>`) gets its values as a string array. */
  readonly schema: z.ZodType<unknown, string | boolean | string[] | undefined>;
}

type Entries<S extends readonly { name: string; schema: z.ZodType }[]> = {
  [K in S[number] as K['name']]: z.output<K['schema']>;
};

export type InputOf<
  A extends readonly ArgumentSpec[],
  O extends readonly OptionSpec[],
> = Entries<A> & Entries<O>;

export interface CommandResult {
  readonly message: Message;
  /** Machine-readable result for `--json`. */
  readonly data?: unknown;
}

export interface CommandDefinition<
  A extends readonly ArgumentSpec[] = readonly ArgumentSpec[],
  O extends readonly OptionSpec[] = readonly OptionSpec[],
> {
  readonly name: string;
  /** Other names, e.g. Russian ones: `статус`. */
  readonly aliases?: readonly string[];
  readonly summary: Text;
  readonly args: A;
  readonly options: O;
  /**
   * A mutating command runs as a durable job. `lock` names the argument whose value is the
   * lock key (the service): one mutating job per service at a time.
   */
  readonly mutating?: { readonly lock?: A[number]['name'] };
  /**
   * What the command cannot work without, checked before a job opens: `backups` is refused
   * with backup-not-configured when the configuration has no `backup:` section.
   */
  readonly needs?: 'backups';
  /**
   * A destructive command describes exactly what it will do and waits for a confirmation.
   * Returns the description in the context's language; several descriptions are asked one
   * after another (a second, separate confirmation); undefined when this particular input
   * needs none (scale to 3 does not, scale to 0 does). Not called for `--dry-run`.
   */
  describe?(
    ctx: CommandContext,
    input: InputOf<A, O>,
  ): Promise<string | readonly string[] | undefined>;
  run(ctx: CommandContext, input: InputOf<A, O>): Promise<CommandResult>;
  /**
   * How the invocation is written into the audit log and the job list, when the text as
   * typed may hold something that must not be kept (a password typed into `provision`,
   * refused, but typed all the same). Absent: the text as typed.
   */
  recordedText?(input: InputOf<A, O>): string;
}

/** Keeps the literal argument and option names so that `run` gets a typed input. */
export function defineCommand<
  const A extends readonly ArgumentSpec[],
  const O extends readonly OptionSpec[],
>(definition: CommandDefinition<A, O>): CommandDefinition<A, O> {
  return definition;
}

export type AnyCommand = CommandDefinition;
