/**
 * Plugin requests end to end on the request side: what the teacher named → the plugin in
 * the directory → the site's release and whether the plugin is there → a kept request (or a
 * +1 on the open one) → a card with Approve / Reject in the approvers' room → each vote on
 * the card → approved (handed to the installer) or rejected or expired, and the teachers
 * told in their own language.
 */
import {
  approvalsOf,
  type Approval,
  type ApprovalPolicy,
  type ApprovalStore,
  type ApprovalVerdict,
} from '../core/approvals.ts';
import type { Catalog } from '../core/catalog.ts';
import type { CommandResult } from '../core/command.ts';
import type { CommandContext } from '../core/context.ts';
import { UserError } from '../core/errors.ts';
import { formatTime } from '../core/format.ts';
import { localize, type Locale } from '../core/i18n.ts';
import type { Message } from '../core/message.ts';
import type { Notices } from '../core/notices.ts';
import { quoteValue } from '../core/parse.ts';
import type { PluginInstallInput, PluginRequestInput, PluginsPort } from '../core/plugins.ts';
import { nameOf } from '../core/people.ts';
import { countText } from '../core/plural.ts';
import { requestCard, type CardContext } from './card.ts';
import { execTarget } from './install/moodle-access.ts';
import type { PluginDirectory } from './directory.ts';
import type { DirectoryPlugin } from './directory-types.ts';
import {
  requestedBy,
  type PluginFacts,
  type PluginRequest,
  type RequestStore,
} from './requests.ts';
import { referenceOf } from './reference.ts';
import { searchPlugins } from './search.ts';
import { installedVersion, readSite, SiteUnreadable, type Site } from './site.ts';
import { pluginTexts as t, pluginVotesText, supportersText } from './texts.ts';

export interface PluginDeskSettings {
  /** The Moodle service of the catalog. */
  readonly service: string;
  /** Moodle's root directory inside its container (config.php is there). */
  readonly root: string;
  /** The container to read the site in; the service's first running one when absent. */
  readonly container?: string;
  readonly policy: ApprovalPolicy;
}

/**
 * What approving hands over to: installs the approved request (as a job, without a second
 * confirmation: the approval is the decision) and returns the line for the approver.
 */
export interface PluginInstaller {
  install(ctx: CommandContext, request: PluginRequest): Promise<string>;
}

/** The admin verbs plugin-install and plugin-remove (src/plugins/install/installer.ts). */
export type InstallVerbs = Pick<
  PluginsPort,
  'describeInstall' | 'install' | 'describeRemove' | 'remove'
>;

export interface PluginDeskDeps {
  readonly settings: PluginDeskSettings;
  readonly catalog: Catalog;
  readonly directory: PluginDirectory;
  readonly requests: RequestStore;
  readonly approvals: ApprovalStore;
  readonly notices: Notices;
  readonly installer?: PluginInstaller;
  readonly verbs?: InstallVerbs;
  readonly localeOf: (room: string) => Locale;
  readonly now?: () => Date;
}

/** A request's text may not be longer than this (a plugin and a few words of why). */
export const maxRequestLength = 1000;
export const subjectPrefix = 'plugin-request:';

export class PluginDesk implements PluginsPort {
  #d: PluginDeskDeps;
  /** Names of the people on cards (`@anna`, a display name), as the messengers tell them. */
  readonly #names = new Map<string, string>();

  constructor(deps: PluginDeskDeps) {
    this.#d = deps;
  }

  /** Attaches the installer once it can run jobs (after the bot exists). */
  attachInstaller(installer: PluginInstaller): void {
    this.#d = { ...this.#d, installer };
  }

  describeInstall(ctx: CommandContext, input: PluginInstallInput): Promise<string> {
    return this.#verbs().describeInstall(ctx, input);
  }

  install(ctx: CommandContext, input: PluginInstallInput): Promise<CommandResult> {
    return this.#verbs().install(ctx, input);
  }

  describeRemove(ctx: CommandContext, input: PluginInstallInput): Promise<string> {
    return this.#verbs().describeRemove(ctx, input);
  }

  remove(ctx: CommandContext, input: PluginInstallInput): Promise<CommandResult> {
    return this.#verbs().remove(ctx, input);
  }

  /** Edits a request's card to show its state now (the installer's outcome). */
  showCard(request: PluginRequest, revision: string): void {
    const approval =
      request.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    if (approval !== undefined) this.#editCard(request, approval, revision);
  }

  #verbs(): InstallVerbs {
    const verbs = this.#d.verbs;
    if (verbs === undefined) throw new UserError('plugin-installer-absent');
    return verbs;
  }

  /** Learns the names of the people a card will show; ids stay where none comes. */
  async #learnNames(ctx: CommandContext, request: PluginRequest | undefined): Promise<void> {
    this.#names.set(ctx.actor.id, ctx.actor.displayName);
    const approval =
      request?.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    const ids = [
      ...(request?.supporters.map((s) => s.actor) ?? []),
      ...(approval?.votes.map((v) => v.actor) ?? []),
    ].filter((id) => !this.#names.has(id));
    const names = await Promise.all([...new Set(ids)].map((id) => nameOf(ctx.people, id)));
    [...new Set(ids)].forEach((id, i) => this.#names.set(id, names[i] ?? id));
  }

  async request(ctx: CommandContext, input: PluginRequestInput): Promise<CommandResult> {
    const typed = [...input.words, input.why ?? ''].join(' ').trim();
    if (typed.length > maxRequestLength) {
      throw new UserError('plugin-request-too-long', {
        length: typed.length,
        max: maxRequestLength,
      });
    }
    const [first = '', ...rest] = input.words;
    const reference = referenceOf(first);
    let component: string;
    let why: string;
    if (reference?.kind === 'component') {
      component = reference.component;
      why = (input.why ?? rest.join(' ')).trim();
    } else {
      const words = input.words.join(' ');
      for (const word of input.words.slice(1)) referenceOf(word);
      const found = searchPlugins((await this.#d.directory.list()).value, words);
      if (found.length === 0) throw new UserError('plugin-no-match', { words: quoteValue(words) });
      if (found.length > 1) return this.#choices(ctx, words, found, input.why);
      component = found[0]?.component ?? '';
      why = (input.why ?? '').trim();
    }
    const site = await this.#site(ctx);
    const looked = await this.#d.directory.plugin(component, site.branch);
    const plugin = looked.value;
    if (plugin === undefined) throw new UserError('plugin-unknown', { component });
    const installed = await installedVersion(
      this.#exec(ctx, await this.#container(ctx)),
      site,
      component,
    );
    if (installed !== undefined) {
      const text = ctx.t(t.installed, {
        name: plugin.name,
        component,
        release: installed.release ?? '—',
        version: installed.version,
      });
      return { message: { severity: 'info', text }, data: { component, installed } };
    }
    const supports = [
      ...new Set(plugin.versions.flatMap((v) => v.supportedmoodles.map((m) => m.release))),
    ].sort((a, b) => Number(a) - Number(b));
    const fitting = plugin.versions.find((v) =>
      v.supportedmoodles.some((m) => m.release === site.branch),
    );
    if (fitting === undefined) {
      const text = ctx.t(t.noVersion, {
        name: plugin.name,
        component,
        branch: site.branch,
        supports: supports.join(', ') || '—',
      });
      return { message: { severity: 'warning', text }, data: { component, supports } };
    }
    const facts: PluginFacts = {
      component,
      name: plugin.name,
      version: fitting.version,
      ...(fitting.release === null || fitting.release === undefined
        ? {}
        : { release: fitting.release }),
      ...(fitting.maturity === null || fitting.maturity === undefined
        ? {}
        : { maturity: fitting.maturity }),
      ...(fitting.downloadmd5 === null || fitting.downloadmd5 === undefined
        ? {}
        : { md5: fitting.downloadmd5 }),
      downloadUrl: fitting.downloadurl,
      supports,
      siteBranch: site.branch,
      ...(looked.cachedAt === undefined ? {} : { cachedAt: looked.cachedAt.toISOString() }),
    };
    // Whoever asked before is named on the card this request edits.
    const open = this.#d.requests.list({ state: 'pending' }).find((r) => r.component === component);
    this.#refuseVoterJoining(ctx, open);
    await this.#learnNames(ctx, open);
    return this.#file(ctx, facts, why);
  }

  list(ctx: CommandContext, filter: { pending: boolean; mine: boolean }): Promise<CommandResult> {
    const all = this.#isApprover(ctx) && !filter.mine;
    const rows = this.#d.requests.list({
      ...(filter.pending ? { state: 'pending' as const } : {}),
      ...(all ? {} : { actor: ctx.actor.id }),
    });
    const lines = rows.map((r) =>
      ctx.t(t.listLine, {
        id: r.id,
        component: r.component,
        state: ctx.t(t.state[r.state]),
        supporters: countText(supportersText, ctx.locale, r.supporters.length),
        when: formatTime(r.createdAt, { timeZone: this.#d.catalog.timeZone }),
      }),
    );
    return Promise.resolve({
      message: {
        severity: 'info',
        title: ctx.t(t.listTitle),
        text: lines.length === 0 ? ctx.t(t.listNone) : lines.join('\n'),
      },
      data: rows.map((r) => ({
        id: r.id,
        component: r.component,
        state: r.state,
        supporters: r.supporters.map((s) => s.actor),
      })),
    });
  }

  async show(ctx: CommandContext, id: number): Promise<CommandResult> {
    const request = this.#d.requests.get(id);
    // Someone else's request is not shown to a teacher: as if it did not exist.
    if (request === undefined || (!this.#isApprover(ctx) && !requestedBy(request, ctx.actor.id))) {
      throw new UserError('plugin-request-unknown', { id });
    }
    await this.#learnNames(ctx, request);
    const approval =
      request.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    const message = requestCard(request, approval, this.#cardContext(ctx.locale));
    // The buttons belong to the card in the approvers' room; here it is a view.
    return { message: { ...message, actions: [] }, data: { id, state: request.state } };
  }

  async decide(
    ctx: CommandContext,
    id: number,
    verdict: ApprovalVerdict,
    reason: string,
  ): Promise<CommandResult> {
    const request = this.#d.requests.get(id);
    // Asked before anything else: to someone who may neither decide nor see it (another
    // teacher's request), it does not exist, whatever its state.
    if (
      request?.approval === undefined ||
      (!this.#isApprover(ctx) && !requestedBy(request, ctx.actor.id))
    ) {
      throw new UserError('plugin-request-unknown', { id });
    }
    // Every teacher who asked for it counts as its requester: none of them approves it.
    if (verdict === 'approve' && requestedBy(request, ctx.actor.id))
      throw new UserError('approval-self', { id });
    await this.#learnNames(ctx, request);
    const approval = this.#d.approvals.vote(
      request.approval,
      ctx.actor,
      verdict,
      reason,
      this.#d.catalog,
      ctx.locale,
    );
    const votes = countText(pluginVotesText, ctx.locale, approvalsOf(approval), {
      needed: approval.needed,
    });
    if (approval.state === 'pending') {
      this.#editCard(request, approval, `vote:${ctx.actor.id}`);
      return {
        message: { severity: 'info', text: ctx.t(t.counted, { id, votes }) },
        data: { id, state: 'pending' },
      };
    }
    if (approval.state === 'rejected') {
      this.#d.requests.setState(id, 'rejected');
      const closed = this.#refreshed(id);
      this.#editCard(closed, approval, 'rejected');
      this.#tell(
        closed,
        (l) =>
          localize(t.toldRejected, l, {
            id,
            name: closed.name,
            reason: reason === '' ? '' : `: ${reason}`,
          }),
        'rejected',
      );
      return {
        message: { severity: 'info', text: ctx.t(t.rejectedDone, { id }) },
        data: { id, state: 'rejected' },
      };
    }
    this.#d.requests.setState(id, 'approved');
    const approved = this.#refreshed(id);
    this.#editCard(approved, approval, 'approved');
    this.#tell(
      approved,
      (l) => localize(t.toldApproved, l, { id, name: approved.name }),
      'approved',
    );
    const handover = await this.#handOver(ctx, approved);
    return {
      message: {
        severity: 'success',
        text: [ctx.t(t.counted, { id, votes }), handover].join('\n'),
      },
      data: { id, state: 'approved', installing: this.#d.installer !== undefined },
    };
  }

  /** Reminders and expiries that are due (called by `pes serve` every minute). */
  housekeeping(): void {
    const { approvals, catalog, notices } = this.#d;
    for (const a of approvals.claimReminders(subjectPrefix)) {
      const request = this.#d.requests.byApproval(a.id);
      if (request === undefined) continue;
      const locale = this.#d.localeOf(a.cardRoom);
      const text = localize(t.reminder, locale, {
        id: request.id,
        component: request.component,
        until: formatTime(a.expiresAt, { timeZone: catalog.timeZone }),
        left: a.needed - approvalsOf(a),
      });
      notices.post(a.cardRoom, { severity: 'warning', text }, `${this.#cardKey(request)}:reminder`);
    }
    for (const a of approvals.claimExpired(subjectPrefix)) {
      const request = this.#d.requests.byApproval(a.id);
      if (request === undefined) continue;
      this.#d.requests.setState(request.id, 'expired');
      const expired = this.#refreshed(request.id);
      this.#editCard(expired, a, 'expired');
      this.#tell(
        expired,
        (l) => localize(t.toldExpired, l, { id: expired.id, name: expired.name }),
        'expired',
      );
    }
  }

  #file(ctx: CommandContext, facts: PluginFacts, why: string): CommandResult {
    const { request, how } = this.#d.requests.ask(facts, {
      actor: ctx.actor.id,
      room: ctx.room.id,
      locale: ctx.locale,
      reason: why.slice(0, maxRequestLength),
      at: (this.#d.now ?? (() => new Date()))(),
    });
    const supporters = countText(supportersText, ctx.locale, request.supporters.length);
    if (how === 'again') {
      const text = ctx.t(t.again, { id: request.id, state: ctx.t(t.state[request.state]) });
      return {
        message: { severity: 'info', text },
        data: { id: request.id, state: request.state },
      };
    }
    let approval =
      request.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    if (how === 'new') {
      approval = this.#d.approvals.create({
        subject: `${subjectPrefix}${request.id}`,
        text: `plugin-request ${request.component}`,
        actor: ctx.actor.id,
        room: ctx.room.id,
        policy: this.#d.settings.policy,
      });
      this.#d.requests.attachApproval(request.id, approval.id);
      const card = requestCard(
        request,
        approval,
        this.#cardContext(this.#d.localeOf(approval.cardRoom)),
      );
      this.#d.notices.post(approval.cardRoom, card, this.#cardKey(request));
    } else if (approval !== undefined) {
      this.#editCard(request, approval, `joined:${ctx.actor.id}`);
    }
    const until =
      approval === undefined
        ? '—'
        : formatTime(approval.expiresAt, { timeZone: this.#d.catalog.timeZone });
    const text =
      how === 'new'
        ? ctx.t(t.requested, {
            id: request.id,
            name: facts.name,
            component: facts.component,
            release: facts.release ?? String(facts.version ?? '?'),
            branch: facts.siteBranch,
            until,
          })
        : ctx.t(t.joined, { id: request.id, supporters });
    const cached =
      facts.cachedAt === undefined
        ? []
        : [
            ctx.t(t.cached, {
              at: formatTime(new Date(facts.cachedAt), { timeZone: this.#d.catalog.timeZone }),
            }),
          ];
    return {
      message: { severity: 'success', text: [text, ...cached].join('\n') },
      data: { id: request.id, how, component: facts.component },
    };
  }

  #choices(
    ctx: CommandContext,
    words: string,
    found: readonly DirectoryPlugin[],
    why: string | undefined,
  ): CommandResult {
    const reason = why === undefined || why === '' ? '' : ` --why ${quoteArg(why.slice(0, 300))}`;
    const lines = found.map((p, i) => `${i + 1}. ${p.name} — ${p.component}`);
    const message: Message = {
      severity: 'info',
      title: ctx.t(t.choose, { words: quoteValue(words) }),
      text: [...lines, ctx.t(t.chooseHow)].join('\n'),
      actions: found.map((p, i) => ({
        label: `${i + 1}. ${p.name}`,
        style: 'default' as const,
        command: `plugin-request ${p.component}${reason}`,
      })),
    };
    return { message, data: { choices: found.map((p) => p.component) } };
  }

  async #handOver(ctx: CommandContext, request: PluginRequest): Promise<string> {
    const locale = ctx.locale;
    const installer = this.#d.installer;
    if (installer !== undefined) {
      let answer: string;
      try {
        answer = await installer.install(ctx, request);
      } catch (error) {
        answer = error instanceof UserError ? error.text(locale) : String(error);
      }
      // Refused before its job started (the service busy, the container down, no version):
      // the job never settled the request, which would stay "approved" with nobody told.
      const now = this.#d.requests.get(request.id);
      if (now?.state === 'approved') return this.#notStarted(now, answer, locale);
      return answer;
    }
    // No installer yet: said once to the approvers, the request stays approved, and nobody
    // is told that anything was installed.
    const approval =
      request.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    const room = approval?.cardRoom;
    const line = (l: Locale): string =>
      localize(t.installerAbsent, l, { id: request.id, component: request.component });
    if (room !== undefined)
      this.#d.notices.post(
        room,
        { severity: 'warning', text: line(this.#d.localeOf(room)) },
        `${this.#cardKey(request)}:no-installer`,
      );
    return line(locale);
  }

  /** The card and the admins' room say the install did not start, and how to retry it. */
  #notStarted(request: PluginRequest, answer: string, locale: Locale): string {
    const line = answer.split('\n').find((l) => l.trim() !== '') ?? '—';
    const params = {
      id: request.id,
      component: request.component,
      line: /[.!?]$/.test(line) ? line : `${line}.`,
      retry: `plugin-install ${this.#d.settings.service} ${request.component} --request ${request.id}`,
    };
    const approval =
      request.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    if (approval !== undefined) {
      const room = approval.cardRoom;
      const roomLocale = this.#d.localeOf(room);
      const text = localize(t.installNotStarted, roomLocale, params);
      const card = requestCard(request, approval, this.#cardContext(roomLocale));
      const revision = `not-started:${(this.#d.now ?? (() => new Date()))().getTime()}`;
      this.#d.notices.edit(
        room,
        { ...card, text: [card.text, text].filter((x) => x !== undefined).join('\n') },
        this.#cardKey(request),
        revision,
      );
      this.#d.notices.post(
        room,
        { severity: 'error', text },
        `${this.#cardKey(request)}:${revision}`,
      );
    }
    return localize(t.installNotStarted, locale, params);
  }

  #tell(request: PluginRequest, text: (locale: Locale) => string, what: string): void {
    for (const s of request.supporters) {
      this.#d.notices.post(
        s.room,
        { severity: 'info', text: text(s.locale) },
        `${this.#cardKey(request)}:${what}:${s.actor}`,
      );
    }
  }

  #editCard(request: PluginRequest, approval: Approval, revision: string): void {
    const card = requestCard(
      request,
      approval,
      this.#cardContext(this.#d.localeOf(approval.cardRoom)),
    );
    this.#d.notices.edit(approval.cardRoom, card, this.#cardKey(request), revision);
  }

  #refreshed(id: number): PluginRequest {
    const request = this.#d.requests.get(id);
    if (request === undefined) throw new Error(`plugin request ${id} vanished`);
    return request;
  }

  #cardKey(request: Pick<PluginRequest, 'id'>): string {
    return `plugin-request:${request.id}`;
  }

  #cardContext(locale: Locale): CardContext {
    return {
      locale,
      timeZone: this.#d.catalog.timeZone,
      nameOf: (id) => this.#names.get(id) ?? id,
      installing: this.#d.installer !== undefined,
    };
  }

  /**
   * Someone who asked never counts as an approver: one who approved a request may not then
   * join it as a requester (their vote would count for their own request). Refused rather
   * than the vote withdrawn, so a decision on the card never disappears.
   */
  #refuseVoterJoining(ctx: CommandContext, open: PluginRequest | undefined): void {
    if (open?.approval === undefined || requestedBy(open, ctx.actor.id)) return;
    const voted = this.#d.approvals
      .get(open.approval)
      ?.votes.some((v) => v.actor === ctx.actor.id && v.verdict === 'approve');
    if (voted === true) throw new UserError('plugin-request-voted', { id: open.id });
  }

  #isApprover(ctx: CommandContext): boolean {
    return ctx.actor.roles.some((r) => this.#d.settings.policy.roles.includes(r));
  }

  async #container(ctx: CommandContext): Promise<string> {
    const { settings } = this.#d;
    if (settings.container !== undefined) return settings.container;
    const service = ctx.service(settings.service);
    const status = await ctx.platform(service).status(service, ctx.signal);
    const running = status.containers.find((c) => c.state === 'running');
    if (running === undefined) {
      throw new UserError('plugin-site-unreadable', {
        service: settings.service,
        reason: 'no running container',
      });
    }
    return execTarget(service, running.name);
  }

  #exec(ctx: CommandContext, container: string) {
    const service = ctx.service(this.#d.settings.service);
    const platform = ctx.platform(service);
    return (argv: readonly string[]) => platform.exec(container, argv, {}, ctx.signal);
  }

  async #site(ctx: CommandContext): Promise<Site> {
    const container = await this.#container(ctx);
    try {
      return await readSite(this.#exec(ctx, container), this.#d.settings.root);
    } catch (error) {
      if (error instanceof SiteUnreadable) {
        throw new UserError('plugin-site-unreadable', {
          service: this.#d.settings.service,
          reason: error.message,
        });
      }
      throw error;
    }
  }
}

/** A value as one token of a command line (src/core/tokenize.ts: double quotes, backslash). */
function quoteArg(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
