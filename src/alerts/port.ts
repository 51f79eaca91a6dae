/**
 * One bot's connection between the alert commands and the rest of the alert path: the
 * Alertmanager client (from the config) and, in `pes serve`, the delivery that owns the
 * alert posts. Kept per app, so two bots in one process (tests) never share it.
 */
import type { AlertmanagerApi, AlertsPort, Matcher } from '../core/alerts.ts';
import { UserError } from '../core/errors.ts';

export interface DeliveryHooks {
  acknowledge(threadId: number, who: string): string | undefined;
  noteSilence(threadId: number, until: Date, who: string): boolean;
  noteSilenceMatching(matchers: readonly Matcher[], until: Date, who: string): number;
}

export class AlertsHub implements AlertsPort {
  #client: AlertmanagerApi | undefined;
  #delivery: DeliveryHooks | undefined;

  constructor(client: AlertmanagerApi | undefined) {
    this.#client = client;
  }

  /** The Alertmanager to talk to; tests point it at the one they started. */
  useAlertmanager(client: AlertmanagerApi | undefined): void {
    this.#client = client;
  }

  /** Set by the alert delivery of `pes serve` (src/alerts/wire.ts). */
  connectDelivery(delivery: DeliveryHooks | undefined): void {
    this.#delivery = delivery;
  }

  alertmanager(): AlertmanagerApi {
    if (this.#client === undefined) throw new UserError('alerts-not-configured');
    return this.#client;
  }

  acknowledge(threadId: number, who: string): string | undefined {
    if (this.#delivery === undefined) throw new UserError('alerts-not-configured');
    return this.#delivery.acknowledge(threadId, who);
  }

  /** Best effort: without a delivery (one-shot `pes`) the silence stands, unshown on the post. */
  noteSilence(threadId: number, until: Date, who: string): boolean {
    return this.#delivery?.noteSilence(threadId, until, who) ?? false;
  }

  /** Best effort, like noteSilence: the number of alert posts now showing the silence. */
  noteSilenceMatching(matchers: readonly Matcher[], until: Date, who: string): number {
    return this.#delivery?.noteSilenceMatching(matchers, until, who) ?? 0;
  }
}
