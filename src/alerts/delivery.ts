/**
 * Delivers stored notifications to their rooms through the Mattermost outbox. A pass takes
 * the pending notifications in order and, in ONE transaction with marking them delivered,
 * writes every post and edit they cause: a crash before the commit leaves them pending (and
 * writes nothing), a crash after it leaves the outbox to finish; nothing is lost, nothing
 * posted twice (the outbox keys are derived from the notification id as well).
 *
 * Per room and group: the first notification posts a root; later ones reply in its thread
 * and edit the root to the current state. More than `stormThreshold` new groups within a
 * minute in one room are listed in one digest post instead of a root each; the digest is
 * edited as its groups join, change, resolve, or are acknowledged or silenced, at most once
 * per `digestEditSpacingMs` (its edits wait in the outbox and only the newest is sent).
 */
import type { DatabaseSync } from 'node:sqlite';
import { formatTime } from '../core/format.ts';
import type { Locale } from '../core/i18n.ts';
import type { Logger } from '../core/logger.ts';
import type { Message } from '../core/message.ts';
import type { OutboxStore } from '../core/outbox.ts';
import { keyProp, roomOf } from '../chat/mattermost/outbox-writer.ts';
import { renderMessage, type ButtonBinding } from '../chat/mattermost/render.ts';
import type { OutboxPayload } from '../chat/mattermost/types.ts';
import { immediate } from '../store/transactions.ts';
import type { MatrixAlertWriter } from './matrix-writer.ts';
import type { AlertsConfig } from './config.ts';
import type { AlertCounters } from './counters.ts';
import { renderDigest, type DigestGroup, type DigestView } from './digest.ts';
import { digestForMatrix, digestForMattermost } from './digest-render.ts';
import type { AlertInbox, AlertThread, AlertThreads, StoredBatch } from './inbox.ts';
import { storedPayload, type WebhookPayload } from './payload.ts';
import { silenceCovers } from './silence-match.ts';
import type { Matcher } from '../core/alerts.ts';
import { isCritical, mentionLine, renderAlertGroup } from './render.ts';
import { inQuietHours, routeAlert, runbooksFor, type RouteTarget } from './router.ts';

export interface DeliveryDeps {
  readonly config: Pick<
    AlertsConfig,
    'routes' | 'defaultRoom' | 'runbooks' | 'stormThreshold' | 'alertmanagerUrl'
  >;
  readonly db: DatabaseSync;
  readonly inbox: AlertInbox;
  readonly threads: AlertThreads;
  readonly outbox: OutboxStore;
  /** Wakes the outbox dispatcher. */
  readonly kick: () => void;
  readonly locale: (room: string) => Locale;
  /** The zone times are shown in (config `timeZone`); undefined: the host's. */
  readonly timeZone?: string | undefined;
  /** Where buttons point, for a post in `channelId`; undefined: no buttons. */
  readonly binding: (channelId: string) => ButtonBinding | undefined;
  readonly counters: AlertCounters;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Posts and edits for `matrix:` rooms (matrix-writer.ts); absent: Mattermost only. */
  readonly matrix?: Pick<MatrixAlertWriter, 'post' | 'patch'>;
  /** Least time between two edits of a storm digest (default 5 s). */
  readonly digestEditSpacingMs?: number;
}

/**
 * A burst of resolutions (Alertmanager sends each group's own, as its group_interval ends)
 * must not edit the digest once per group: an edit made within this time after the last one
 * waits in the outbox and is replaced by any later one.
 */
const defaultDigestEditSpacingMs = 5000;

/** Notifications taken per pass (and per transaction). */
const passSize = 100;

interface PassState {
  /** Per room: the new groups beyond the storm threshold, for the digest of this pass. */
  readonly storms: Map<
    string,
    { readonly key: string; readonly isNew: boolean; readonly batch: number }
  >;
  /** Per room: how many threads were started within the last minute. */
  readonly started: Map<string, number>;
  /**
   * Digests already posted whose groups changed in this pass, by `room\0digest key`, with
   * the newest notification that changed one (it names the edit: unique, as each
   * notification is delivered once).
   */
  readonly touched: Map<
    string,
    { readonly room: string; readonly key: string; readonly batch: number }
  >;
}

/** Content of a post: a message, or a storm digest (rendered per messenger). */
type Content = Message | DigestView;

function isDigest(content: Content): content is DigestView {
  return 'head' in content;
}

function channelOf(room: string): string {
  return room.slice('mattermost:'.length);
}

export class AlertDelivery {
  readonly #d: DeliveryDeps;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #again = false;

  constructor(deps: DeliveryDeps) {
    this.#d = deps;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
  }

  /** A notification was stored: deliver now rather than at the next tick. */
  kick(): void {
    this.#again = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#again = false;
      let delivered = 0;
      try {
        delivered = this.deliverPending();
      } catch (error) {
        this.#d.log.error('alert delivery pass failed', { error });
      }
      if (delivered > 0 || this.#again) continue;
      // Stored notifications kick; the timer only covers a kick that was lost.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One pass: delivers up to `passSize` pending notifications; returns how many. */
  deliverPending(): number {
    const { db, inbox, log, counters } = this.#d;
    const batches = inbox.pending(passSize);
    const released = this.#releasable();
    if (batches.length === 0 && released.length === 0) return 0;
    const written = immediate(db, () => {
      const pass: PassState = { storms: new Map(), started: new Map(), touched: new Map() };
      let items = 0;
      // Held over quiet hours that have ended: the group's newest state goes out now.
      for (const r of released) {
        this.#d.threads.release(r.target.room, r.payload.groupKey);
        items += this.#toRoom(r.batch, r.payload, r.target, r.labels, pass, true);
      }
      for (const batch of batches) {
        try {
          items += immediate(db, () => this.#deliver(batch, pass));
          inbox.settle(batch.id, 'delivered');
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          // A locked database passes: the whole pass is rolled back and tried again. Anything
          // else is this notification's own problem and must not block the ones after it.
          if (/database is (locked|busy)/i.test(message)) throw error;
          inbox.settle(batch.id, 'failed', message);
          counters.add('failed');
          log.error('alert notification not delivered', { id: batch.id, error });
        }
      }
      return items + this.#digests(pass);
    });
    counters.add('posted', written);
    if (written > 0) this.#d.kick();
    return batches.length + released.length;
  }

  /** Held notifications whose room's quiet hours are over (or that no longer route there). */
  #releasable(): {
    batch: StoredBatch;
    payload: WebhookPayload;
    target: RouteTarget;
    labels: Record<string, string>;
  }[] {
    const { threads, inbox, config } = this.#d;
    const now = this.#now();
    const out = [];
    for (const h of threads.held()) {
      const batch = inbox.byId(h.batchId);
      const payload = batch === undefined ? undefined : storedPayload(batch.payload);
      const labels = { ...payload?.groupLabels, ...payload?.commonLabels };
      const target = routeAlert(config, labels).find((t) => t.room === h.room);
      if (batch === undefined || payload === undefined || target === undefined) {
        threads.release(h.room, h.groupKey);
        continue;
      }
      if (!inQuietHours(target.quietHours, now)) out.push({ batch, payload, target, labels });
    }
    return out;
  }

  /** Writes the posts and edits of one notification; returns how many outbox items. */
  #deliver(batch: StoredBatch, pass: PassState): number {
    const payload = storedPayload(batch.payload);
    const labels = { ...payload.groupLabels, ...payload.commonLabels };
    let items = 0;
    for (const target of routeAlert(this.#d.config, labels)) {
      items += this.#toRoom(batch, payload, target, labels, pass);
    }
    return items;
  }

  #toRoom(
    batch: StoredBatch,
    payload: WebhookPayload,
    target: RouteTarget,
    labels: Readonly<Record<string, string>>,
    pass: PassState,
    fromHold = false,
  ): number {
    const { threads, config } = this.#d;
    const room = target.room;
    if (!fromHold) {
      // Quiet hours hold what is not critical until they end (the newest state per group);
      // a critical notification goes out at once and replaces what was held.
      if (!isCritical(payload) && inQuietHours(target.quietHours, this.#now())) {
        threads.hold(room, payload.groupKey, batch.id);
        return 0;
      }
      threads.release(room, payload.groupKey);
    }
    const locale = this.#d.locale(room);
    const resolved = payload.status === 'resolved';
    const thread = threads.get(room, payload.groupKey);
    const base = `alert:${batch.id}:${room}`;
    if (thread === undefined) {
      // A group first seen resolved (or whose room wants no resolved posts) starts nothing.
      if (resolved && !target.sendResolved) return 0;
      if (this.#startedLastMinute(room, pass) >= config.stormThreshold) {
        // One digest per storm: groups join the open digest of the room, whose post is
        // edited to list them (only the newest pending edit is ever sent).
        let storm = pass.storms.get(room);
        if (storm === undefined) {
          const open = threads.openDigest(room, new Date(this.#now().getTime() - 60_000));
          storm = {
            key: open ?? `alert-digest:${batch.id}:${room}`,
            isNew: open === undefined,
            batch: batch.id,
          };
          pass.storms.set(room, storm);
        }
        threads.add({ room, groupKey: payload.groupKey, rootKey: storm.key, inDigest: true });
        return 0;
      }
      const rootKey = `${base}:root`;
      const id = threads.add({ room, groupKey: payload.groupKey, rootKey, inDigest: false });
      // Acknowledged or silenced in another room already: this root says so from the start.
      const started = threads.byId(id);
      const message = this.#rootMessage(payload, labels, locale, {
        id,
        ackedBy: started?.ackedBy,
        silencedUntil: started?.silencedUntil,
        silencedBy: started?.silencedBy,
      });
      this.#post(rootKey, room, message, mentionLine(payload, target), locale);
      pass.started.set(room, this.#startedLastMinute(room, pass) + 1);
      return 1;
    }
    let items = 0;
    const current = renderAlertGroup(payload, { locale });
    if (!resolved || target.sendResolved) {
      this.#post(`${base}:reply`, room, current, '', locale, thread.rootKey);
      items++;
    }
    if (thread.inDigest) {
      // The digest tells how many of its groups still fire: it is edited at the end of the pass.
      const touched = { room, key: thread.rootKey, batch: batch.id };
      pass.touched.set(`${room}\0${thread.rootKey}`, touched);
    } else {
      // The root shows the group's current state, with its buttons while it still fires.
      const root = this.#rootMessage(payload, labels, locale, thread);
      this.#patch(`${base}:edit`, thread.rootKey, room, root, mentionLine(payload, target), locale);
      items++;
    }
    return items;
  }

  #rootMessage(
    payload: WebhookPayload,
    labels: Readonly<Record<string, string>>,
    locale: Locale,
    thread: Pick<AlertThread, 'id' | 'ackedBy' | 'silencedUntil' | 'silencedBy'>,
  ): Message {
    const { config } = this.#d;
    const firing = payload.status === 'firing';
    const silenced = this.#silenceShown(payload, thread);
    return renderAlertGroup(payload, {
      locale,
      runbooks: firing ? runbooksFor(config.runbooks, labels) : [],
      silenceButtons: config.alertmanagerUrl !== undefined,
      acknowledge: { threadId: thread.id, by: thread.ackedBy },
      ...(silenced === undefined ? {} : { silenced }),
    });
  }

  /** A silence made for the group that still lasts, as a post shows it (firing groups only). */
  #silenceShown(
    payload: WebhookPayload,
    thread: Pick<AlertThread, 'silencedUntil' | 'silencedBy'>,
  ): { until: string; by: string } | undefined {
    const until = thread.silencedUntil;
    return payload.status === 'firing' && until !== undefined && until > this.#now()
      ? { until: formatTime(until, { timeZone: this.#d.timeZone }), by: thread.silencedBy ?? '' }
      : undefined;
  }

  /**
   * Records who acknowledged the group of thread `id` and edits its roots in every room to
   * say so; the thread, or undefined when there is none with this id.
   */
  acknowledge(id: number, who: string): AlertThread | undefined {
    return this.#noteOnRoots(id, 'ack', () => this.#d.threads.acknowledge(id, who));
  }

  /** Records a silence made for the thread's group (its button) and shows it on every root. */
  silenced(id: number, until: Date, who: string): AlertThread | undefined {
    return this.#noteOnRoots(id, 'silence', () => this.#d.threads.silenced(id, until, who));
  }

  /**
   * Shows a silence made by the `silence` command on the posts of the firing groups it
   * covers: those whose common labels satisfy every matcher (then each alert of the group
   * is silenced). Groups quiet for longer than a week are left alone. How many were marked.
   */
  silencedMatching(matchers: readonly Matcher[], until: Date, who: string): number {
    const { threads, inbox } = this.#d;
    const since = new Date(this.#now().getTime() - 7 * 86_400_000);
    const groups = new Set<string>();
    let marked = 0;
    for (const thread of threads.activeSince(since)) {
      // One group, one state: marking one of its threads marks its roots in every room.
      if (groups.has(thread.groupKey)) continue;
      groups.add(thread.groupKey);
      const [text] = inbox.latest([thread.groupKey]);
      if (text === undefined) continue;
      const payload = storedPayload(text);
      if (payload.status !== 'firing') continue;
      const labels = { ...payload.groupLabels, ...payload.commonLabels };
      if (!silenceCovers(matchers, labels)) continue;
      if (this.silenced(thread.id, until, who) !== undefined) marked++;
    }
    return marked;
  }

  /**
   * Runs `record` (which changes the state of the thread's group) and re-renders the root of
   * every thread of the group from its newest notification, each in its room's language.
   */
  #noteOnRoots(id: number, what: string, record: () => boolean): AlertThread | undefined {
    const { db, threads, inbox, config } = this.#d;
    const thread = immediate(db, () => {
      if (!record()) return undefined;
      const noted = threads.byId(id);
      const [text] = noted === undefined ? [] : inbox.latest([noted.groupKey]);
      if (noted === undefined || text === undefined) return noted;
      const payload = storedPayload(text);
      const labels = { ...payload.groupLabels, ...payload.commonLabels };
      const targets = routeAlert(config, labels);
      const at = this.#now().getTime();
      for (const each of threads.ofGroup(noted.groupKey)) {
        // A Matrix room is left as it is once Matrix is no longer configured, rather than
        // failing the acknowledgement made elsewhere.
        if (each.room.startsWith('matrix:') && this.#d.matrix === undefined) continue;
        if (each.inDigest) {
          // The digest shows the group's state and buttons like a root does.
          this.#editDigest(`${each.rootKey}:${what}:${each.id}:${at}`, each.room, each.rootKey);
          continue;
        }
        const target = targets.find((t) => t.room === each.room);
        const locale = this.#d.locale(each.room);
        const message = this.#rootMessage(payload, labels, locale, each);
        const mentions = target === undefined ? '' : mentionLine(payload, target);
        this.#patch(
          `alert-${what}:${each.id}:${at}`,
          each.rootKey,
          each.room,
          message,
          mentions,
          locale,
        );
      }
      return noted;
    });
    if (thread !== undefined) this.#d.kick();
    return thread;
  }

  #startedLastMinute(room: string, pass: PassState): number {
    const known = pass.started.get(room);
    if (known !== undefined) return known;
    const now = this.#now();
    const count = this.#d.threads.startedSince(room, new Date(now.getTime() - 60_000));
    pass.started.set(room, count);
    return count;
  }

  #digests(pass: PassState): number {
    let items = 0;
    for (const [room, storm] of pass.storms) {
      pass.touched.delete(`${room}\0${storm.key}`);
      if (storm.isNew) {
        const locale = this.#d.locale(room);
        this.#post(storm.key, room, this.#digestView(room, storm.key, locale), '', locale);
        this.#noteDigestWrite(storm.key, storm.key);
      } else {
        this.#editDigest(`${storm.key}:edit:${storm.batch}`, room, storm.key);
      }
      items++;
    }
    for (const { room, key, batch } of pass.touched.values()) {
      this.#editDigest(`${key}:edit:${batch}`, room, key);
      items++;
    }
    return items;
  }

  /** The outbox key of the newest post or edit of each digest written by this process. */
  readonly #lastDigestWrite = new Map<string, string>();

  /**
   * Edits a digest to its groups' current state. While the previous edit waits, this one
   * waits as long and replaces it; after one was sent, the next waits out the spacing. A
   * restart forgets the last edit: the first edit after it goes at once.
   */
  #editDigest(editKey: string, room: string, digestKey: string): void {
    const locale = this.#d.locale(room);
    const view = this.#digestView(room, digestKey, locale);
    const spacing = this.#d.digestEditSpacingMs ?? defaultDigestEditSpacingMs;
    const now = this.#now().getTime();
    const last = this.#d.outbox.byKey(this.#lastDigestWrite.get(digestKey) ?? digestKey);
    let at = now;
    if (last?.state === 'pending') at = Math.max(now, last.nextAttemptAt.getTime());
    else if (last?.state === 'sending' || last?.state === 'sent') {
      at = Math.max(now, last.nextAttemptAt.getTime() + spacing);
    }
    this.#patch(editKey, digestKey, room, view, '', locale, new Date(at));
    this.#noteDigestWrite(digestKey, editKey);
  }

  #noteDigestWrite(digestKey: string, key: string): void {
    // Newest last; only the digests of the latest storms are worth remembering.
    this.#lastDigestWrite.delete(digestKey);
    this.#lastDigestWrite.set(digestKey, key);
    const oldest = this.#lastDigestWrite.keys().next();
    if (this.#lastDigestWrite.size > 100 && oldest.done !== true) {
      this.#lastDigestWrite.delete(oldest.value);
    }
  }

  /** The digest's groups from their newest notifications, with their state and buttons. */
  #digestView(room: string, digestKey: string, locale: Locale): DigestView {
    const { threads, inbox, config } = this.#d;
    const groups: DigestGroup[] = [];
    for (const groupKey of threads.groupsOf(room, digestKey)) {
      const thread = threads.get(room, groupKey);
      const [text] = inbox.latest([groupKey]);
      if (thread === undefined || text === undefined) continue;
      const payload = storedPayload(text);
      const labels = { ...payload.groupLabels, ...payload.commonLabels };
      const silenced = this.#silenceShown(payload, thread);
      groups.push({
        payload,
        thread,
        runbooks: payload.status === 'firing' ? runbooksFor(config.runbooks, labels) : [],
        ...(silenced === undefined ? {} : { silenced }),
      });
    }
    return renderDigest(groups, { locale, silenceButtons: config.alertmanagerUrl !== undefined });
  }

  #matrix(room: string): Pick<MatrixAlertWriter, 'post' | 'patch'> {
    // Thrown inside the pass's transaction: this notification is marked failed, not lost.
    if (this.#d.matrix === undefined) throw new Error(`no matrix section for alert room ${room}`);
    return this.#d.matrix;
  }

  #now(): Date {
    return (this.#d.now ?? (() => new Date()))();
  }

  #rendered(content: Content, locale: Locale, channelId: string, withButtons: boolean) {
    const binding = withButtons ? this.#d.binding(channelId) : undefined;
    return isDigest(content)
      ? digestForMattermost(content, locale, binding)
      : renderMessage(content, locale, binding);
  }

  /** Matrix renders one message; a digest is written out for it (digest-render.ts). */
  #forMatrix(content: Content, locale: Locale): Message {
    return isDigest(content) ? digestForMatrix(content, locale) : content;
  }

  #post(
    key: string,
    room: string,
    message: Content,
    text: string,
    locale: Locale,
    rootKey?: string,
  ): void {
    if (room.startsWith('matrix:')) {
      this.#matrix(room).post(key, room, this.#forMatrix(message, locale), text, locale, rootKey);
      return;
    }
    const channelId = channelOf(room);
    const rendered = this.#rendered(message, locale, channelId, rootKey === undefined);
    const payload: OutboxPayload = {
      channel_id: channelId,
      ...(rootKey === undefined ? {} : { root_key: rootKey }),
      message: text,
      props: { attachments: rendered.attachments, [keyProp]: key },
      ...(rendered.files.length === 0 ? {} : { files: rendered.files }),
    };
    this.#d.outbox.enqueue({
      key,
      room: roomOf(channelId),
      kind: 'post',
      payload: JSON.stringify(payload),
    });
  }

  #patch(
    key: string,
    targetKey: string,
    room: string,
    message: Content,
    text: string,
    locale: Locale,
    notBefore?: Date,
  ): void {
    if (room.startsWith('matrix:')) {
      const m = this.#forMatrix(message, locale);
      this.#matrix(room).patch(key, targetKey, room, m, text, locale, notBefore);
      return;
    }
    const channelId = channelOf(room);
    const rendered = this.#rendered(message, locale, channelId, true);
    const payload: OutboxPayload = {
      channel_id: channelId,
      message: text,
      // The root keeps its own key, so a search for it after an uncertain send still works.
      props: { attachments: rendered.attachments, [keyProp]: targetKey },
    };
    this.#d.outbox.enqueue({
      key,
      room: roomOf(channelId),
      kind: 'patch',
      targetKey,
      payload: JSON.stringify(payload),
      ...(notBefore === undefined ? {} : { notBefore }),
    });
  }
}
