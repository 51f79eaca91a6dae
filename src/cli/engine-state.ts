/**
 * The Docker engine as `pes serve` sees it: asked once at start (an engine that is down is
 * said in one line in the person's language, and the bot keeps running), and again when
 * /readyz is asked, at most every few seconds, so the readiness body tells the engine's
 * state without a request per probe.
 */
import { isUserError } from '../core/errors.ts';
import { localize, type Locale } from '../core/i18n.ts';
import { requestDocker, type DockerConnection } from '../platforms/docker/client.ts';

export interface EngineReport {
  /** `ok`, or `unreachable` (no answer, or the address cannot be used). */
  readonly docker: 'ok' | 'unreachable';
  /** Where the engine is, as shown to people (never with a password). */
  readonly dockerHost: string;
  /** The engine's version when it answered; else why it did not, in English. */
  readonly dockerDetail: string;
}

const texts = {
  down: {
    ru: '{error} Бот работает; команды для сервисов будут отвечать ошибкой, пока Docker недоступен. Проверить настройку: pes doctor',
    en: '{error} The bot is running; commands on services will fail until the engine is back. To check the setup: pes doctor',
  },
} as const;

/** The errors that mean "no engine here": said once at start, not logged again. */
export const engineDownCodes: ReadonlySet<string> = new Set([
  'docker-unreachable',
  'docker-host-invalid',
]);

/** How long an answer stays good for /readyz, and how long one probe may take. */
const maxAgeMs = 5_000;
const probeTimeoutMs = 3_000;

export class EngineState {
  readonly #connection: DockerConnection;
  #last: { readonly at: number; readonly report: EngineReport } | undefined;
  #pending: Promise<EngineReport> | undefined;
  #error: unknown;

  constructor(connection: DockerConnection) {
    // The client is read through the getter only when a request is made: a bad address must
    // not throw here, and a shorter time limit keeps /readyz quick.
    this.#connection = {
      get docker() {
        return connection.docker;
      },
      host: connection.host,
      timeoutMs: probeTimeoutMs,
      pull: connection.pull,
    };
  }

  /** The last answer if it is fresh, else a new probe (shared by concurrent callers). */
  report(now = Date.now()): Promise<EngineReport> {
    if (this.#last !== undefined && now - this.#last.at < maxAgeMs) {
      return Promise.resolve(this.#last.report);
    }
    this.#pending ??= this.#probe().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * Asks the engine once; when it cannot be reached, says so in one line and returns false.
   * The error itself goes to the log at debug level only: the line is what people need.
   */
  async announce(say: (line: string) => void, locale: Locale): Promise<boolean> {
    const report = await this.report();
    if (report.docker === 'ok') return true;
    const error = this.#error;
    const text = isUserError(error) ? error.text(locale) : report.dockerDetail;
    say(localize(texts.down, locale, { error: text }));
    return false;
  }

  async #probe(): Promise<EngineReport> {
    const connection = this.#connection;
    let report: EngineReport;
    try {
      const version = await requestDocker(connection, (abortSignal) => {
        // dockerode's version() takes `{abortSignal}` (lib/docker.js) though its types omit it.
        const ask = connection.docker.version.bind(connection.docker) as unknown as (opts: {
          abortSignal: AbortSignal;
        }) => Promise<{ Version?: string; ApiVersion?: string }>;
        return ask({ abortSignal });
      });
      this.#error = undefined;
      report = {
        docker: 'ok',
        dockerHost: connection.host,
        dockerDetail: `Docker ${version.Version ?? '?'}, API ${version.ApiVersion ?? '?'}`,
      };
    } catch (error) {
      this.#error = error;
      const detail = isUserError(error)
        ? String(error.params['reason'] ?? error.code)
        : error instanceof Error
          ? error.message
          : String(error);
      report = { docker: 'unreachable', dockerHost: connection.host, dockerDetail: detail };
    }
    this.#last = { at: Date.now(), report };
    return report;
  }
}
