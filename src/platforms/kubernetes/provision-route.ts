/**
 * `provision` and `deprovision` name an instance, not a catalog service: the commands ask the
 * platform of a Docker-shaped service for it (src/core/templates.ts, instanceService). When
 * the configuration provisions on a cluster (`provision.cluster`), this puts that cluster's
 * four provisioning verbs in front of the Docker platform and leaves every other verb to
 * Docker, so the commands stay as they are.
 */
import type { Platform } from '../../core/platform.ts';

export function provisionOn(docker: Platform, cluster: Platform): Platform {
  return {
    name: docker.name,
    status: (...a) => docker.status(...a),
    logs: (...a) => docker.logs(...a),
    restart: (...a) => docker.restart(...a),
    planScale: (...a) => docker.planScale(...a),
    scale: (...a) => docker.scale(...a),
    planUpdate: (...a) => docker.planUpdate(...a),
    update: (...a) => docker.update(...a),
    planProvision: (...a) => cluster.planProvision(...a),
    provision: (...a) => cluster.provision(...a),
    planDeprovision: (...a) => cluster.planDeprovision(...a),
    deprovision: (...a) => cluster.deprovision(...a),
    readVolume: (...a) => docker.readVolume(...a),
    writeVolume: (...a) => docker.writeVolume(...a),
    exec: (...a) => docker.exec(...a),
    stopService: (...a) => docker.stopService(...a),
    startService: (...a) => docker.startService(...a),
    createScratchVolume: (...a) => docker.createScratchVolume(...a),
    removeVolume: (...a) => docker.removeVolume(...a),
  };
}
