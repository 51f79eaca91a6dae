/** Every command the bot knows, in the order help lists them. */
import type { AnyCommand } from '../src/core/command.ts';
import audit from './audit.ts';
import cancel from './cancel.ts';
import confirm from './confirm.ts';
import decline from './decline.ts';
import help from './help.ts';
import job from './job.ts';
import jobs from './jobs.ts';
import status from './status.ts';
import whoami from './whoami.ts';
// — imports: logs & restart —
import logs from './logs.ts';
import restart from './restart.ts';
// — imports: scale, update & rollback —
import scale from './scale.ts';
import update from './update.ts';
import rollback from './rollback.ts';
// — imports: provision & deprovision —
import deprovision from './deprovision.ts';
import provision from './provision.ts';
// — backups —
import backup from './backup.ts';
import backupPrune from './backup-prune.ts';
import backupFiles from './backup-files.ts';
import backupUnlock from './backup-unlock.ts';
import backups from './backups.ts';
import restore from './restore.ts';
import verify from './verify.ts';
// — alerts —
import alerts from './alerts.ts';
import silence from './silence.ts';
import silences from './silences.ts';
import unsilence from './unsilence.ts';
// — plugin requests and approvals —
import approve from './approve.ts';
import plugin from './plugin.ts';
import pluginInstall from './plugin-install.ts';
import pluginRemove from './plugin-remove.ts';
import pluginRequest from './plugin-request.ts';
import plugins from './plugins.ts';
import reject from './reject.ts';

export const commands: readonly AnyCommand[] = [
  help,
  whoami,
  status,
  // — commands: logs & restart —
  logs,
  restart,
  // — commands: scale, update & rollback —
  scale,
  update,
  rollback,
  // — commands: provision & deprovision —
  provision,
  deprovision,
  // — backups —
  backup,
  backups,
  restore,
  verify,
  backupUnlock,
  backupPrune,
  backupFiles,
  // — alerts —
  alerts,
  silence,
  silences,
  unsilence,
  // — plugin requests and approvals —
  pluginRequest,
  plugins,
  plugin,
  pluginInstall,
  pluginRemove,
  jobs,
  job,
  cancel,
  confirm,
  decline,
  approve,
  reject,
  audit,
];
