/**
 * The HTTP client side of the latency benchmarks: node:http with a keep-alive pool (far
 * lighter than fetch, so the client's own work does not swamp what is measured) and
 * percentiles of the samples.
 */
import { Agent, request } from 'node:http';

/** The `p`th percentile (nearest rank) of samples sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** POSTs through one keep-alive pool and tells how long each answer took, in ms. */
export class TimedPoster {
  readonly #agent: Agent;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(concurrency: number, headers: Readonly<Record<string, string>>) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    this.#headers = headers;
  }

  /** Milliseconds until the whole answer arrived; rejects on any status but 200. */
  post(url: string, body: string): Promise<number> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { ...this.#headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new Error(`HTTP ${res.statusCode ?? 0} from ${url}`));
            } else resolve(performance.now() - started);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
