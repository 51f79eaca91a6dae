/**
 * A plugin request once the installer has run for it: marked installed or failed, its card
 * edited, every teacher who asked told in their own language, and the admins' room told in
 * one line. An install answers a request only when that request is approved.
 */
import type { ApprovalStore } from '../../core/approvals.ts';
import { UserError } from '../../core/errors.ts';
import { localize, type Locale } from '../../core/i18n.ts';
import type { Notices } from '../../core/notices.ts';
import type { PluginRequest, RequestStore } from '../requests.ts';
import { pluginTexts } from '../texts.ts';
import { installTexts as t } from './texts.ts';

export interface RequestOutcomeDeps {
  readonly requests: RequestStore;
  readonly approvals: ApprovalStore;
  readonly notices: Notices;
  readonly localeOf: (room: string) => Locale;
  /** Edits the request's card to show its state now (the desk renders cards). */
  readonly editCard: (request: PluginRequest, revision: string) => void;
}

const key = (request: PluginRequest): string => `plugin-request:${request.id}`;

export class RequestOutcome {
  readonly #d: RequestOutcomeDeps;

  constructor(deps: RequestOutcomeDeps) {
    this.#d = deps;
  }

  /**
   * The request an install of `component` answers: the one named (which must be approved and
   * for this plugin), else the approved request for the plugin, if there is one.
   */
  requestFor(component: string, id: number | undefined): PluginRequest | undefined {
    if (id === undefined) {
      return this.#d.requests.list({ state: 'approved' }).find((r) => r.component === component);
    }
    const request = this.#d.requests.get(id);
    if (request === undefined) throw new UserError('plugin-request-unknown', { id });
    if (request.state !== 'approved' || request.component !== component) {
      throw new UserError('plugin-request-not-approved', {
        id,
        component: request.component,
        stateRu: pluginTexts.state[request.state].ru,
        stateEn: pluginTexts.state[request.state].en,
      });
    }
    return request;
  }

  installed(request: PluginRequest, release: string): void {
    this.#settle(request, 'installed');
    const params = { id: request.id, name: request.name, component: request.component, release };
    this.#tellTeachers(request, 'installed', (l) => localize(t.toldInstalled, l, params));
    this.#tellAdmins(request, 'installed', (l) => localize(t.adminsInstalled, l, params));
  }

  /**
   * Installed, but maintenance could not be turned off: the teachers hear that it is
   * installed (it is), the admins that the site is still in maintenance and how to end it.
   */
  installedMaintenanceOn(request: PluginRequest, release: string, error: UserError): void {
    this.#settle(request, 'installed');
    const params = { id: request.id, name: request.name, component: request.component, release };
    this.#tellTeachers(request, 'installed', (l) => localize(t.toldInstalled, l, params));
    this.#tellAdmins(request, 'maintenance-on', (l) =>
      localize(t.adminsFailed, l, { id: request.id, line: error.text(l) }),
    );
  }

  failed(request: PluginRequest, error: UserError): void {
    this.#settle(request, 'failed');
    const reason = (l: Locale): string => {
      const own = error.params[l === 'ru' ? 'reasonRu' : 'reasonEn'];
      return typeof own === 'string' ? own : error.text(l);
    };
    const told = error.params['clean'] === 'no' ? t.toldFailedUnclean : t.toldFailed;
    this.#tellTeachers(request, 'failed', (l) =>
      localize(told, l, { id: request.id, name: request.name, reason: reason(l) }),
    );
    this.#tellAdmins(request, 'failed', (l) =>
      localize(t.adminsFailed, l, { id: request.id, line: error.text(l) }),
    );
  }

  #settle(request: PluginRequest, state: 'installed' | 'failed'): void {
    this.#d.requests.setState(request.id, state);
    const now = this.#d.requests.get(request.id) ?? request;
    this.#d.editCard(now, state);
  }

  #tellTeachers(request: PluginRequest, what: string, text: (l: Locale) => string): void {
    for (const s of request.supporters) {
      this.#d.notices.post(
        s.room,
        { severity: what === 'installed' ? 'success' : 'warning', text: text(s.locale) },
        `${key(request)}:${what}:${s.actor}`,
      );
    }
  }

  #tellAdmins(request: PluginRequest, what: string, text: (l: Locale) => string): void {
    const approval =
      request.approval === undefined ? undefined : this.#d.approvals.get(request.approval);
    if (approval === undefined) return;
    const room = approval.cardRoom;
    this.#d.notices.post(
      room,
      { severity: what === 'installed' ? 'success' : 'error', text: text(this.#d.localeOf(room)) },
      `${key(request)}:${what}:admins`,
    );
  }
}
