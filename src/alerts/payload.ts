/**
 * The Alertmanager webhook body (version "4"). Fields the bot does not use are tolerated and
 * dropped: newer Alertmanager versions add fields (docs/FIELD-NOTES.md "Alertmanager"), and
 * refusing them would lose alerts, since a 4xx answer is never retried.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';

const labelMap = z.record(z.string(), z.string());

const alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: labelMap.default({}),
  startsAt: z.string(),
  endsAt: z.string().default(''),
  generatorURL: z.string().default(''),
  fingerprint: z.string().default(''),
});

export const webhookPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupLabels: labelMap.default({}),
  commonLabels: labelMap.default({}),
  commonAnnotations: labelMap.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alert),
});

export type WebhookPayload = z.output<typeof webhookPayload>;
export type WebhookAlert = WebhookPayload['alerts'][number];

/**
 * A notification as the inbox keeps it: the body Alertmanager sent, as it came (the
 * receiver validated it before storing it), or the normalised form earlier versions stored.
 * Read through the schema again, so that defaults are filled in and nothing is taken on trust.
 */
export function storedPayload(text: string): WebhookPayload {
  return webhookPayload.parse(JSON.parse(text));
}

/** The problems of an invalid payload, short enough for a 400 answer and a log line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * What makes two notifications the same: the group and the state of each of its alerts.
 * Alertmanager re-sends a notification when our answer was lost or late, and re-sends the
 * same state on `repeat_interval`; neither may post again.
 */
export function notificationDigest(payload: WebhookPayload): string {
  // Sorted by a key computed once per alert; the hashed form is unchanged, so notifications
  // stored by an earlier version are still recognised when re-sent.
  const alerts = payload.alerts
    .map((a) => {
      const fields = [a.fingerprint, a.status, a.startsAt, a.endsAt];
      return { fields, key: fields.join('\0') };
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((a) => a.fields);
  // One-shot: making a Hash object cost more than hashing these few hundred bytes.
  return hash(
    'sha256',
    JSON.stringify([payload.groupKey, payload.receiver, payload.status, alerts]),
  );
}
