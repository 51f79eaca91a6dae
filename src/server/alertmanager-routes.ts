/** The Alertmanager webhook endpoint (`alerts.path`, POST JSON); see src/alerts/receiver.ts. */
import { receiveAlerts, type ReceiverDeps } from '../alerts/receiver.ts';
import type { Route } from './http.ts';

export function alertmanagerRoutes(path: string, deps: ReceiverDeps): Route[] {
  return [{ methods: ['POST'], path, handle: (req, res) => receiveAlerts(req, res, deps) }];
}
