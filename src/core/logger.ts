/**
 * A small structured logger: one JSON object per line on stderr, every value passed through
 * the redactor so that no configured secret reaches a log line.
 */
import { format } from 'node:util';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const order: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 99,
};

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type Redactor = (text: string) => string;

/** Replaces every occurrence of a secret with a marker; short values are ignored as noise. */
export function makeRedactor(secrets: readonly string[]): Redactor {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** Redacts every string inside a value (messages, command data), keeping its shape. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, redact)) as T;
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactDeep(item, redact)]),
    ) as T;
  }
  return value;
}

/**
 * An error as plain data, with what it carries: its cause, and an AggregateError's errors
 * (a failed restore whose clean-up failed too keeps both, src/backup/sources/process.ts).
 * Bounded: a cycle of causes, or a deep chain, ends in its message.
 */
function serialize(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const record: Record<string, unknown> = {
    name: value.name,
    message: value.message,
    stack: value.stack,
  };
  if (depth >= maxCauseDepth) return record;
  if (value.cause !== undefined) record['cause'] = carried(value.cause, depth + 1);
  if (value instanceof AggregateError) {
    const errors = value.errors as unknown[];
    record['errors'] = errors.slice(0, maxErrors).map((e) => carried(e, depth + 1));
    if (errors.length > maxErrors) record['moreErrors'] = errors.length - maxErrors;
  }
  return record;
}

/**
 * What an error carries; anything but an error as a short text: it may be large (a Buffer),
 * circular, or have no `toString` that works, and a log line must never throw.
 */
function carried(value: unknown, depth: number): unknown {
  if (value instanceof Error) return serialize(value, depth);
  let text: string;
  try {
    text = String(value);
  } catch {
    text = '[unprintable]';
  }
  return text.length > maxCarriedText ? `${text.slice(0, maxCarriedText)}…` : text;
}

const maxCauseDepth = 3;
const maxErrors = 8;
const maxCarriedText = 2000;

export function createLogger(options: {
  level: LogLevel;
  redact?: Redactor;
  write?: (line: string) => void;
  fields?: LogFields;
}): Logger {
  const redact = options.redact ?? ((t: string) => t);
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (order[level] < order[options.level]) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...base };
    for (const [key, value] of Object.entries(fields)) record[key] = serialize(value);
    // Each string is redacted before encoding: a secret with a quote or a backslash would
    // no longer match once JSON has escaped it.
    write(JSON.stringify(redactDeep(record, redact)));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/**
 * The console methods libraries write to, and the level their lines get. The bot itself
 * never uses the console; what does is a dependency talking about itself (the Mattermost
 * client's `websocket connecting to …`, `ErrorEvent {…}`): chatter for debugging, since the
 * adapters log what matters (a drop, a reconnect) themselves. Warnings and errors keep theirs.
 */
const consoleLevels = {
  log: 'debug',
  info: 'debug',
  debug: 'debug',
  trace: 'debug',
  dir: 'debug',
  warn: 'warn',
  error: 'error',
} as const satisfies Partial<Record<keyof Console, Exclude<LogLevel, 'silent'>>>;

/**
 * Sends everything written to the console through `log`, as JSON lines on stderr with
 * secrets redacted, so that nothing lands on stdout between the prompt's lines (`pes
 * serve`). Returns what puts the console back.
 */
export function routeConsole(log: Logger): () => void {
  const methods = Object.keys(consoleLevels) as (keyof typeof consoleLevels)[];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back on console as it was
  const saved = methods.map((method) => [method, console[method]] as const);
  for (const method of methods) {
    const level = consoleLevels[method];
    console[method] = (...args: unknown[]): void => {
      log[level]('console', { method, text: format(...args) });
    };
  }
  return () => {
    for (const [method, original] of saved) console[method] = original;
  };
}
