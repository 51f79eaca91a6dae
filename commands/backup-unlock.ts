import { dryRunOption } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { runUnlock } from './backup-repository.ts';

export default defineCommand({
  name: 'backup-unlock',
  aliases: ['бэкап-разблокировать'],
  summary: {
    ru: 'снять зависшую блокировку хранилища копий (также: backup unlock)',
    en: 'remove a stale lock of the backup repository (also: backup unlock)',
  },
  args: [],
  options: [dryRunOption],
  // A job (audited, cancellable) but no service lock: the repository is not one service.
  mutating: {},
  needs: 'backups',
  run: (ctx, input) => runUnlock(ctx, input.dryRun),
});
