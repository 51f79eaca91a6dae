/** The webhook schema and the digest that recognises a re-sent notification. */
import { describe, expect, it } from 'vitest';
import { notificationDigest, storedPayload, webhookPayload } from '../../src/alerts/payload.ts';
import { fixture, payloadOf, rawFixture } from './fixtures.ts';

describe('webhook payload', () => {
  it('accepts the real firing and resolved payloads', () => {
    const firing = fixture('firing');
    expect(firing.status).toBe('firing');
    expect(firing.alerts[0]?.labels['alertname']).toBe('BackupFailed');
    expect(fixture('resolved').alerts[0]?.status).toBe('resolved');
  });

  it('tolerates fields a newer Alertmanager adds', () => {
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    const parsed = webhookPayload.safeParse({ ...raw, orgId: 1, newThing: { a: 1 } });
    expect(parsed.success).toBe(true);
  });

  it('reads a stored notification in the form this version stores and the one earlier ones did', () => {
    const raw = rawFixture('firing');
    const normalised = JSON.stringify(webhookPayload.parse(JSON.parse(raw)));
    expect(storedPayload(raw)).toEqual(storedPayload(normalised));
    expect(storedPayload(raw)).toEqual(fixture('firing'));
  });

  it('refuses another version and a missing groupKey', () => {
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    expect(webhookPayload.safeParse({ ...raw, version: '3' }).success).toBe(false);
    expect(webhookPayload.safeParse({ ...raw, groupKey: undefined }).success).toBe(false);
  });

  it('gives a re-sent notification the same digest, a changed one another', () => {
    const a = fixture('firing');
    const again = webhookPayload.parse(JSON.parse(rawFixture('firing')));
    expect(notificationDigest(again)).toBe(notificationDigest(a));
    expect(notificationDigest(fixture('resolved'))).not.toBe(notificationDigest(a));
  });

  it('keeps the digest of a stored notification stable across versions, whatever the alert order', () => {
    const a = fixture('firing');
    // The digests of notifications already stored: a change here would post re-sends twice.
    expect(notificationDigest(a)).toBe(
      '0be062f3b321186b6ebf08e568cb61866802d1fa50763d9b902cb94023fbfc69',
    );
    const two = payloadOf('g', [
      { labels: { alertname: 'A' }, fingerprint: 'b' },
      { labels: { alertname: 'A' }, fingerprint: 'a' },
    ]);
    const swapped = { ...two, alerts: [...two.alerts].reverse() };
    expect(notificationDigest(swapped)).toBe(notificationDigest(two));
  });
});
