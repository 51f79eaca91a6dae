/**
 * The validation rules a client meets most often (pkg/apis/apps/validation and
 * pkg/apis/core/validation, https://github.com/kubernetes/kubernetes/tree/master/pkg/apis):
 * names, a workload selector that must match its template's labels, containers with a name
 * and an image, replicas not negative, a Service's ports (unless headless), a claim's access
 * modes and storage request. Each failure is a 422 with causes (api-conventions,
 * "Response Status Kind").
 */
import { at, isObject, list, num, stringMap, type JsonObject } from './json.ts';
import { nameCauses } from './names.ts';
import type { ResourceType } from './resources.ts';
import { selectorMatcher } from './selectors.ts';
import { invalid, type Cause } from './status.ts';

function containerCauses(spec: JsonObject | undefined, prefix: string): Cause[] {
  const causes: Cause[] = [];
  const containers = list(spec?.containers);
  if (containers.length === 0) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: `${prefix}.containers`,
    });
  }
  containers.forEach((c, i) => {
    const at_ = `${prefix}.containers[${i}]`;
    if (!isObject(c)) return;
    if (typeof c.name !== 'string' || c.name === '') {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `${at_}.name`,
      });
    } else {
      for (const cause of nameCauses(c.name, 'label', `${at_}.name`)) causes.push(cause);
    }
    if (typeof c.image !== 'string' || c.image === '') {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `${at_}.image`,
      });
    } else if (c.image.trim() !== c.image) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(c.image)}: must not have leading or trailing whitespace`,
        field: `${at_}.image`,
      });
    }
  });
  return causes;
}

function workloadCauses(o: JsonObject): Cause[] {
  const causes: Cause[] = [];
  const spec = isObject(o.spec) ? o.spec : {};
  const replicas = num(spec.replicas);
  if (replicas !== undefined && replicas < 0) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${replicas}: must be greater than or equal to 0`,
      field: 'spec.replicas',
    });
  }
  if (!isObject(spec.selector)) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.selector',
    });
  } else {
    const labels = stringMap(at(spec, 'template', 'metadata', 'labels'));
    if (!selectorMatcher(spec.selector)(labels)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: map[string]string{...}: `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      });
    }
  }
  const podSpec = at(spec, 'template', 'spec');
  for (const c of containerCauses(isObject(podSpec) ? podSpec : undefined, 'spec.template.spec')) {
    causes.push(c);
  }
  return causes;
}

/** A Service needs ports unless it is headless or ExternalName (ValidateService). */
function serviceCauses(o: JsonObject): Cause[] {
  const spec = isObject(o.spec) ? o.spec : {};
  const headless = spec.clusterIP === 'None';
  if (list(spec.ports).length > 0 || headless || spec.type === 'ExternalName') return [];
  return [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports' }];
}

/** A claim needs an access mode and a storage request (ValidatePersistentVolumeClaimSpec). */
function claimCauses(o: JsonObject): Cause[] {
  const spec = isObject(o.spec) ? o.spec : {};
  const causes: Cause[] = [];
  if (list(spec.accessModes).length === 0) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: at least 1 access mode is required',
      field: 'spec.accessModes',
    });
  }
  if (at(spec, 'resources', 'requests', 'storage') === undefined) {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.resources[storage]',
    });
  }
  return causes;
}

/** Throws the 422 the server would answer for this object, if any. */
export function validateObject(r: ResourceType, o: JsonObject, name: string): void {
  const causes = nameCauses(name, r.nameRule);
  if (r.kind === 'Deployment' || r.kind === 'ReplicaSet' || r.kind === 'StatefulSet') {
    causes.push(...workloadCauses(o));
  }
  if (r.kind === 'Service') causes.push(...serviceCauses(o));
  if (r.kind === 'PersistentVolumeClaim') causes.push(...claimCauses(o));
  if (r.kind === 'Pod') {
    const spec = isObject(o.spec) ? o.spec : undefined;
    causes.push(...containerCauses(spec, 'spec'));
  }
  if (causes.length > 0) throw invalid(r.group, r.kind, name, causes);
}
