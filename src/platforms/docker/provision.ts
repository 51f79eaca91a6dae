/**
 * Provisioning verbs of the Docker platform, as DockerPlatform binds them. Planning lives
 * in provision-plan.ts, applying in provision-apply.ts and deprovision.ts.
 */
export { planDeprovision, planProvision } from './provision-plan.ts';
export { applyProvision as provision } from './provision-apply.ts';
export { applyDeprovision as deprovision } from './deprovision.ts';
