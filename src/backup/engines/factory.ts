/** The configured engine (`backup.engine`): restic by default, or borg. */
import type { BackupEngine } from '../types.ts';
import { BorgEngine } from './borg.ts';
import { ResticEngine } from './restic.ts';

export interface EngineSettings {
  readonly engine: 'restic' | 'borg';
  /** A path, or what the engine takes as a location (sftp:, s3:, rest:, ssh://…). */
  readonly repository: string;
  /** The repository password, resolved from its secret reference. */
  readonly password: string;
  /** Further variables for the engine (AWS_ACCESS_KEY_ID…), resolved. */
  readonly env: Readonly<Record<string, string>>;
}

export interface EngineOverrides {
  /** Another program path, e.g. in tests. */
  readonly binary?: string;
  readonly lockWaitSeconds?: number;
}

export function createBackupEngine(
  settings: EngineSettings,
  overrides: EngineOverrides = {},
): BackupEngine {
  const common = {
    repository: settings.repository,
    password: settings.password,
    env: settings.env,
    ...(overrides.binary === undefined ? {} : { binary: overrides.binary }),
  };
  return settings.engine === 'borg'
    ? new BorgEngine({
        ...common,
        ...(overrides.lockWaitSeconds === undefined
          ? {}
          : { lockWaitSeconds: overrides.lockWaitSeconds }),
      })
    : new ResticEngine(common);
}
