/**
 * A generic source: any program whose stdout is the data (`backup` argv) and, optionally,
 * one that takes it back on stdin (`restore` argv); inside a container or on the bot's
 * machine. For data the other sources do not cover, e.g. `redis-cli --rdb -`.
 */
import type { Readable } from 'node:stream';
import type { CommandSourceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import type { BackupSource, ProducedStream } from '../types.ts';
import { consume, produce, type Runner } from './process.ts';

export function commandSource(def: CommandSourceDefinition, platform: Platform): BackupSource {
  const id = `command:${def.name}`;
  const runner: Runner =
    def.container === undefined
      ? { kind: 'host' }
      : {
          kind: 'exec',
          platform,
          container: def.container,
          ...(def.user === undefined ? {} : { user: def.user }),
        };
  return {
    id,
    filename: def.filename ?? `${def.name}.out`,
    produce: (signal?: AbortSignal): Promise<ProducedStream> =>
      Promise.resolve(produce({ runner, argv: def.backup, source: id }, signal)),
    consume: (input: Readable, signal?: AbortSignal): Promise<void> => {
      if (def.restore === undefined) {
        input.destroy();
        return Promise.reject(new UserError('backup-restore-unsupported', { source: id }));
      }
      return consume({ runner, argv: def.restore, source: id }, input, signal);
    },
  };
}
