/**
 * Name validation of k8s.io/apimachinery/pkg/util/validation/validation.go
 * (https://github.com/kubernetes/apimachinery/blob/master/pkg/util/validation/validation.go),
 * as the object names page describes it
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/): most objects
 * need a DNS-1123 subdomain, namespaces a DNS-1123 label, services a DNS-1035 label.
 */
import type { Cause } from './status.ts';

export type NameRule = 'subdomain' | 'label' | 'dns1035';

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;
const DNS1035 = '[a-z]([-a-z0-9]*[a-z0-9])?';

const RULES: Record<NameRule, { regex: string; max: number; text: string }> = {
  subdomain: {
    regex: SUBDOMAIN,
    max: 253,
    text: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  label: {
    regex: LABEL,
    max: 63,
    text: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  dns1035: {
    regex: DNS1035,
    max: 63,
    text: "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  },
};

/** The causes a name gets (empty when valid), with the real field and message texts. */
export function nameCauses(name: string, rule: NameRule, field = 'metadata.name'): Cause[] {
  const r = RULES[rule];
  const causes: Cause[] = [];
  const value = JSON.stringify(name);
  if (name.length > r.max) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${value}: must be no more than ${r.max} characters`,
      field,
    });
  }
  if (!new RegExp(`^${r.regex}$`).test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${value}: ${r.text}`,
      field,
    });
  }
  return causes;
}

export function isValidName(name: string, rule: NameRule): boolean {
  return nameCauses(name, rule).length === 0;
}
