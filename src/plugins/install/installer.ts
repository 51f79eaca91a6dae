/**
 * The installer as the commands and the desk reach it: what `plugin-install` and
 * `plugin-remove` describe before their confirmation, and the job they run (the Moodle
 * container found, the backup and the database restore through the BackupService port, the
 * package downloaded and checked), with the request, the card and the teachers told at the end.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { CommandResult } from '../../core/command.ts';
import type { CommandContext } from '../../core/context.ts';
import { UserError } from '../../core/errors.ts';
import { isComponent } from '../reference.ts';
import type { PluginDirectory } from '../directory.ts';
import type { DirectoryVersion } from '../directory-types.ts';
import { installedVersion, type Site } from '../site.ts';
import type { Download } from './download.ts';
import { installPlugin, splitName } from './install-job.ts';
import { jobDeps, type JobSettings } from './job-deps.ts';
import type { JournalStore } from './journal.ts';
import { containerExec, moodleContainer, moodleSite } from './moodle-access.ts';
import type { PluginPackage } from './package-port.ts';
import { preChecks } from './pre-checks.ts';
import { removePlugin } from './remove-job.ts';
import { RequestOutcome } from './request-outcome.ts';
import { installTexts as t, removeStepTexts, stepTexts } from './texts.ts';

export interface InstallSettings extends JobSettings {
  /** The Moodle service of the catalog (plugins.service). */
  readonly service: string;
}

export interface InstallInput {
  readonly service: string;
  readonly component: string;
  readonly version: string | undefined;
  /** The plugin request this install answers, when it came from one. */
  readonly request: number | undefined;
}

export interface InstallerDeps {
  readonly settings: InstallSettings;
  readonly directory: PluginDirectory;
  readonly pkg: PluginPackage;
  readonly download: Download;
  readonly outcome: RequestOutcome;
  /** Where the jobs journal what they changed (journal.ts); absent in some tests. */
  readonly journal?: JournalStore;
}

interface Prepared {
  readonly service: ServiceDefinition;
  readonly site: Site;
  readonly name: string;
  readonly version: DirectoryVersion;
  readonly installed: number | undefined;
}

export class Installer {
  readonly #d: InstallerDeps;

  constructor(deps: InstallerDeps) {
    this.#d = deps;
  }

  async describeInstall(ctx: CommandContext, input: InstallInput): Promise<string> {
    const p = await this.#prepare(ctx, input);
    const params = {
      name: p.name,
      component: input.component,
      release: p.version.release ?? String(p.version.version),
      version: p.version.version,
      installed: p.installed ?? '',
      service: p.service.name,
      branch: p.site.branch,
    };
    return [
      ctx.t(p.installed === undefined ? t.describeInstall : t.describeUpgrade, params),
      ctx.t(t.describeSteps, params),
    ].join('\n');
  }

  async install(ctx: CommandContext, input: InstallInput): Promise<CommandResult> {
    const p = await this.#prepare(ctx, input);
    const request = this.#d.outcome.requestFor(input.component, input.request);
    const deps = jobDeps(
      ctx,
      p.service,
      input.component,
      this.#d.settings,
      stepTexts,
      this.#d.journal,
    );
    try {
      const report = await installPlugin(
        { ...deps, download: this.#d.download, pkg: this.#d.pkg },
        {
          component: input.component,
          downloadUrl: p.version.downloadurl,
          md5: p.version.downloadmd5 ?? undefined,
        },
      );
      if (request !== undefined) {
        const release = report.release ?? String(report.version);
        tellSafely(ctx, () => this.#d.outcome.installed(request, release));
      }
      const seconds = ctx.t(t.seconds, {
        n: new Intl.NumberFormat(ctx.locale, { maximumFractionDigits: 1 }).format(
          report.maintenanceMs / 1000,
        ),
      });
      return {
        message: {
          severity: 'success',
          title: ctx.t(t.installed, {
            component: input.component,
            release: report.release ?? String(report.version),
          }),
          text: [
            ctx.t(t.installedText, {
              version: report.version,
              service: p.service.name,
              seconds,
              job: report.backupJob,
            }),
            ...(report.purgeProblem === undefined
              ? []
              : [ctx.t(t.purgeProblem, { reason: report.purgeProblem })]),
          ].join('\n'),
        },
        data: report,
      };
    } catch (error) {
      if (request !== undefined && error instanceof UserError) {
        const outcome = this.#d.outcome;
        if (error.code === 'plugin-installed-maintenance-on') {
          const release = String(error.params['release'] ?? error.params['version'] ?? '');
          tellSafely(ctx, () => outcome.installedMaintenanceOn(request, release, error));
        } else tellSafely(ctx, () => outcome.failed(request, error));
      }
      throw error;
    }
  }

  async describeRemove(ctx: CommandContext, input: InstallInput): Promise<string> {
    const { service, version } = await this.#installedOnly(ctx, input);
    const params = { component: input.component, version, service: service.name };
    return [ctx.t(t.describeRemove, params), ctx.t(t.describeRemoveSteps, params)].join('\n');
  }

  async remove(ctx: CommandContext, input: InstallInput): Promise<CommandResult> {
    const { service } = await this.#installedOnly(ctx, input);
    const deps = jobDeps(
      ctx,
      service,
      input.component,
      this.#d.settings,
      { ...stepTexts, ...removeStepTexts },
      this.#d.journal,
    );
    const report = await removePlugin(deps, input.component);
    const seconds = ctx.t(t.seconds, {
      n: new Intl.NumberFormat(ctx.locale, { maximumFractionDigits: 1 }).format(
        report.maintenanceMs / 1000,
      ),
    });
    return {
      message: {
        severity: 'success',
        title: ctx.t(t.removed, { component: input.component }),
        text: ctx.t(t.removedText, { service: service.name, seconds, job: report.backupJob }),
      },
      data: report,
    };
  }

  /** Checks everything that can be checked before a job: one line each, nothing changed. */
  async #prepare(ctx: CommandContext, input: InstallInput): Promise<Prepared> {
    const service = this.#service(ctx, input);
    if (!isComponent(input.component)) {
      throw new UserError('plugin-component-invalid', { value: input.component });
    }
    const site = await moodleSite(ctx, service, this.#d.settings);
    const { type } = splitName(input.component);
    if (!site.typeDirs.has(type)) {
      throw new UserError('plugin-install-type-unknown', { service: service.name, type });
    }
    const looked = await this.#d.directory.plugin(input.component, site.branch);
    const plugin = looked.value;
    if (plugin === undefined) throw new UserError('plugin-unknown', { component: input.component });
    const fits = plugin.versions.filter((v) =>
      v.supportedmoodles.some((m) => m.release === site.branch),
    );
    const version =
      input.version === undefined
        ? fits[0]
        : fits.find((v) => String(v.version) === input.version || v.release === input.version);
    if (version === undefined) {
      throw new UserError('plugin-install-no-version', {
        component: input.component,
        version: input.version ?? '',
        branch: site.branch,
      });
    }
    const exec = containerExec(ctx, service, await moodleContainer(ctx, service, this.#d.settings));
    const installed = await installedVersion(
      (argv) => exec(argv, {}, ctx.signal),
      site,
      input.component,
    );
    this.#d.outcome.requestFor(input.component, input.request);
    await preChecks(ctx, service, site, exec, this.#d.settings);
    return { service, site, name: plugin.name, version, installed: installed?.version };
  }

  async #installedOnly(
    ctx: CommandContext,
    input: InstallInput,
  ): Promise<{ service: ServiceDefinition; version: number }> {
    const service = this.#service(ctx, input);
    if (!isComponent(input.component)) {
      throw new UserError('plugin-component-invalid', { value: input.component });
    }
    const site = await moodleSite(ctx, service, this.#d.settings);
    const exec = containerExec(ctx, service, await moodleContainer(ctx, service, this.#d.settings));
    const installed = await installedVersion(
      (argv) => exec(argv, {}, ctx.signal),
      site,
      input.component,
    );
    if (installed === undefined) {
      throw new UserError('plugin-not-installed', { component: input.component });
    }
    await preChecks(ctx, service, site, exec, this.#d.settings);
    return { service, version: installed.version };
  }

  #service(ctx: CommandContext, input: InstallInput): ServiceDefinition {
    const service = ctx.service(input.service);
    if (service.name !== this.#d.settings.service) {
      throw new UserError('plugin-install-not-service', {
        moodle: this.#d.settings.service,
        service: service.name,
      });
    }
    return service;
  }
}

/**
 * The request's bookkeeping after the job: its own failure is logged, never reported as the
 * install's (the plugin is installed, or was put back, whatever the card says).
 */
function tellSafely(ctx: CommandContext, tell: () => void): void {
  try {
    tell();
  } catch (error) {
    ctx.log.error('plugin request not updated', { error });
  }
}
