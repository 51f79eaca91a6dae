/**
 * Alertmanager, when the configuration names it (alerts.alertmanagerUrl, for silences):
 * GET /api/v2/status answers with its version and cluster state (Alertmanager's OpenAPI v2).
 */
import type { LoadedConfig } from '../config/load.ts';
import { fail, ok, type Check, type Finding } from './check.ts';
import { field, probe } from './http-probe.ts';

export function alertmanagerChecks(config: LoadedConfig): Check[] {
  const url = config.alerts?.alertmanagerUrl;
  if (url === undefined) return [];
  return [
    { title: { ru: 'Alertmanager', en: 'Alertmanager' }, run: (signal) => status(url, signal) },
  ];
}

async function status(url: string, signal: AbortSignal): Promise<Finding> {
  const hint = {
    ru: 'Проверьте alerts.alertmanagerUrl (адрес Alertmanager без /api/v2) и что он доступен с этой машины.',
    en: 'Check alerts.alertmanagerUrl (the Alertmanager address, without /api/v2) and that it can be reached from this host.',
  };
  const answer = await probe(`${url}/api/v2/status`, { signal });
  if (!answer.answered) {
    return fail({ ru: `${url}: ${answer.reason.ru}`, en: `${url}: ${answer.reason.en}` }, hint);
  }
  const body = answer.body;
  const versionInfo =
    typeof body === 'object' && body !== null && 'versionInfo' in body
      ? body.versionInfo
      : undefined;
  const cluster =
    typeof body === 'object' && body !== null && 'cluster' in body ? body.cluster : undefined;
  const version = field(versionInfo, 'version');
  if (answer.status !== 200 || version === undefined) {
    return fail(
      {
        ru: `${url}: /api/v2/status ответил HTTP ${answer.status} — это не API v2 Alertmanager`,
        en: `${url}: /api/v2/status answered HTTP ${answer.status}; that is not Alertmanager's API v2`,
      },
      hint,
    );
  }
  const state = field(cluster, 'status');
  return ok({
    ru: `${url}: Alertmanager ${version}${state === undefined ? '' : `, кластер ${state}`}`,
    en: `${url}: Alertmanager ${version}${state === undefined ? '' : `, cluster ${state}`}`,
  });
}
