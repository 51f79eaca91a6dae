/**
 * The port of the plugin commands (plugin-request, plugins, plugin): teachers' requests for
 * Moodle plugins and the admins' decisions on them. Implemented by src/plugins/desk.ts.
 */
import type { ApprovalVerdict } from './approvals.ts';
import type { CommandResult } from './command.ts';
import type { CommandContext } from './context.ts';
import { UserError } from './errors.ts';

export interface PluginRequestInput {
  /** A component, a directory link, or name words; then, after a component or link, why. */
  readonly words: readonly string[];
  /** Why, when given apart from the words (plain-words requests keep the message here). */
  readonly why: string | undefined;
}

/** `plugin-install` / `plugin-remove`: a plugin on the Moodle service. */
export interface PluginInstallInput {
  readonly service: string;
  readonly component: string;
  /** A version number or release of the directory; the newest for the site when absent. */
  readonly version: string | undefined;
  /** The approved request this install answers. */
  readonly request: number | undefined;
}

export interface PluginsPort {
  request(ctx: CommandContext, input: PluginRequestInput): Promise<CommandResult>;
  list(ctx: CommandContext, filter: { pending: boolean; mine: boolean }): Promise<CommandResult>;
  show(ctx: CommandContext, id: number): Promise<CommandResult>;
  decide(
    ctx: CommandContext,
    id: number,
    verdict: ApprovalVerdict,
    reason: string,
  ): Promise<CommandResult>;
  /** What installing would do (the confirmation); checks everything a job would need first. */
  describeInstall(ctx: CommandContext, input: PluginInstallInput): Promise<string>;
  install(ctx: CommandContext, input: PluginInstallInput): Promise<CommandResult>;
  describeRemove(ctx: CommandContext, input: PluginInstallInput): Promise<string>;
  remove(ctx: CommandContext, input: PluginInstallInput): Promise<CommandResult>;
}

const refuse = (): Promise<never> => Promise.reject(new UserError('plugins-not-configured'));

/** For a bot without a `plugins:` section. */
export const noPlugins: PluginsPort = {
  request: refuse,
  list: refuse,
  show: refuse,
  decide: refuse,
  describeInstall: refuse,
  install: refuse,
  describeRemove: refuse,
  remove: refuse,
};
