/**
 * Every error a person can see, by stable code, one file per area under error-texts/.
 * Codes are part of the interface (JSON output, logs, tests): add new ones, never rename.
 */
import { alertsErrorTexts } from './error-texts/alerts.ts';
import { backupErrorTexts } from './error-texts/backup.ts';
import { coreErrorTexts } from './error-texts/core.ts';
import { dockerErrorTexts } from './error-texts/docker.ts';
import { engineAddressErrorTexts } from './error-texts/engine-address.ts';
import { kubernetesErrorTexts } from './error-texts/kubernetes.ts';
import { mattermostErrorTexts } from './error-texts/mattermost.ts';
import { matrixErrorTexts } from './error-texts/matrix.ts';
import { pluginPackageErrorTexts } from './error-texts/plugin-package.ts';
import { pluginInstallErrorTexts } from './error-texts/plugin-install.ts';
import { pluginsErrorTexts } from './error-texts/plugins.ts';
import { provisionErrorTexts } from './error-texts/provision.ts';

export type { ErrorText } from './error-texts/error-text.ts';

export const errorTexts = {
  ...coreErrorTexts,
  ...dockerErrorTexts,
  ...kubernetesErrorTexts,
  ...engineAddressErrorTexts,
  ...provisionErrorTexts,
  ...mattermostErrorTexts,
  ...matrixErrorTexts,
  ...backupErrorTexts,
  ...alertsErrorTexts,
  ...pluginsErrorTexts,
  ...pluginInstallErrorTexts,
  ...pluginPackageErrorTexts,
};

export type ErrorCode = keyof typeof errorTexts;
