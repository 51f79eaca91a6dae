/**
 * The Alertmanager webhook receiver. The order of the checks follows Alertmanager's retry
 * rule (docs/FIELD-NOTES.md "Alertmanager": 5xx and connection errors are retried, 4xx never):
 * a request that can never succeed (credentials, size, JSON, schema) gets a 4xx; only a
 * notification that was valid but could not be stored gets a 5xx, so it comes again. The
 * notification is committed to the inbox before the 200 leaves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GroupCommit } from '../core/group-commit.ts';
import type { Logger } from '../core/logger.ts';
import { BodyTooLarge, readBody, sendJson, sendTooLarge } from '../server/body.ts';
import { authorized, type ReceiverCredentials } from './auth.ts';
import type { AlertCounters } from './counters.ts';
import type { AlertInbox, IncomingBatch, StoreOutcome } from './inbox.ts';
import { describeIssues, notificationDigest, webhookPayload } from './payload.ts';

export interface ReceiverDeps {
  readonly credentials: ReceiverCredentials;
  readonly maxBodyBytes: number;
  readonly inbox: AlertInbox;
  /** Shares commits between concurrent requests (made from `inbox` when absent). */
  readonly commit?: StoreCommit;
  readonly counters: AlertCounters;
  readonly log: Logger;
  /** Called after a new notification was stored (wakes the delivery). */
  readonly stored?: () => void;
}

type Checked =
  | IncomingBatch
  | { readonly error: 'empty-body' | 'malformed-json' }
  | { readonly error: 'invalid-payload'; readonly problems: string };

/**
 * The batch to store, or why the body is refused. Synchronous on purpose: the parsed and
 * validated objects are garbage once it returns, instead of living in the request's frame
 * while it waits for the commit (with 50 requests in flight, they were most of what every
 * young-generation collection copied). The body is stored as it came; `storedPayload` reads
 * it back through the same schema.
 */
function checkBody(body: Buffer): Checked {
  if (body.length === 0) return { error: 'empty-body' };
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: 'malformed-json' };
  }
  const parsed = webhookPayload.safeParse(json);
  if (!parsed.success) return { error: 'invalid-payload', problems: describeIssues(parsed.error) };
  const payload = parsed.data;
  return { digest: notificationDigest(payload), groupKey: payload.groupKey, payload: text };
}

/** Answers and stops reading: the rest of the body is discarded, the connection closed. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  res.setHeader('connection', 'close');
  sendJson(res, status, body);
  req.resume();
}

type StoreCommit = GroupCommit<IncomingBatch, StoreOutcome>;

const commits = new WeakMap<AlertInbox, StoreCommit>();

function commitOf(deps: ReceiverDeps): StoreCommit {
  if (deps.commit !== undefined) return deps.commit;
  let commit = commits.get(deps.inbox);
  if (commit === undefined) {
    commit = new GroupCommit((batches) => deps.inbox.addMany(batches));
    commits.set(deps.inbox, commit);
  }
  return commit;
}

export async function receiveAlerts(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ReceiverDeps,
): Promise<void> {
  const { counters, log } = deps;
  // Credentials first: an unauthenticated sender must not make the bot read megabytes.
  if (!authorized(req.headers.authorization, deps.credentials)) {
    counters.add('rejected');
    log.warn('alertmanager request with wrong credentials refused');
    res.setHeader('www-authenticate', deps.credentials.kind === 'bearer' ? 'Bearer' : 'Basic');
    refuse(req, res, 401, { error: 'unauthorized' });
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, deps.maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      counters.add('rejected');
      log.warn('alertmanager body too large', { limit: deps.maxBodyBytes });
      sendTooLarge(req, res);
      return;
    }
    throw error;
  }
  const checked = checkBody(body);
  if ('error' in checked) {
    counters.add('rejected');
    if (checked.error === 'invalid-payload') {
      log.warn('invalid alertmanager payload', { problems: checked.problems });
    }
    sendJson(res, 400, checked);
    return;
  }
  let outcome: StoreOutcome;
  try {
    outcome = await commitOf(deps).add(checked);
  } catch (error) {
    // The one case worth a retry: the notification is valid and only storage failed.
    counters.add('failed');
    log.error('cannot store an alertmanager notification', { error });
    sendJson(res, 503, { error: 'not-stored' });
    return;
  }
  counters.add(outcome.duplicate ? 'deduplicated' : 'received');
  if (!outcome.duplicate) deps.stored?.();
  sendJson(res, 200, { status: outcome.duplicate ? 'duplicate' : 'stored', id: outcome.id });
}
