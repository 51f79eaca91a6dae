/**
 * How the alert commands reach Alertmanager. The command context has no slot for it (that is
 * core, shared by every command), so the app provides the client here once at start-up
 * (src/app.ts); without `alerts.alertmanagerUrl` the commands answer `alerts-not-configured`.
 */
import { UserError } from '../core/errors.ts';
import type { AlertmanagerClient } from './alertmanager-client.ts';

let provided: AlertmanagerClient | undefined;

/** Records an acknowledgement and edits the root; the group key, or undefined if unknown. */
export type Acknowledger = (threadId: number, who: string) => string | undefined;

let acknowledger: Acknowledger | undefined;

/** Set by the alert delivery of `pes serve` (src/alerts/wire.ts). */
export function provideAcknowledger(fn: Acknowledger | undefined): void {
  acknowledger = fn;
}

/** Shows a silence on the alert post it was made from; false when there is no such thread. */
export type SilenceNoter = (threadId: number, until: Date, who: string) => boolean;

let silenceNoter: SilenceNoter | undefined;

export function provideSilenceNoter(fn: SilenceNoter | undefined): void {
  silenceNoter = fn;
}

/** Best effort: without a delivery (one-shot `pes`) the silence stands, unshown on the post. */
export function noteSilence(threadId: number, until: Date, who: string): boolean {
  return silenceNoter?.(threadId, until, who) ?? false;
}

export function acknowledgeAlert(threadId: number, who: string): string | undefined {
  if (acknowledger === undefined) throw new UserError('alerts-not-configured');
  return acknowledger(threadId, who);
}

export function provideAlertmanager(client: AlertmanagerClient | undefined): void {
  provided = client;
}

export function alertmanager(): AlertmanagerClient {
  if (provided === undefined) throw new UserError('alerts-not-configured');
  return provided;
}
