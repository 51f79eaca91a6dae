import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/platforms/docker/image-ref.ts';

const digest = `sha256:${'ab12'.repeat(16)}`;

describe('parseImageReference', () => {
  it.each([
    ['moodle:4.5.1', 'moodle', '4.5.1'],
    ['moodle', 'moodle', 'latest'],
    ['bitnami/moodle:4.5', 'bitnami/moodle', '4.5'],
    ['docker.io/library/postgres:16-alpine', 'docker.io/library/postgres', '16-alpine'],
    // A registry port is not a tag.
    ['host:5000/x:1', 'host:5000/x', '1'],
    ['host:5000/x', 'host:5000/x', 'latest'],
    ['host:5000/team/app', 'host:5000/team/app', 'latest'],
    ['[::1]:5000/x:2', '[::1]:5000/x', '2'],
    // A digest identifies the exact image: it stands in for a missing tag.
    [`quay.io/keycloak/keycloak@${digest}`, 'quay.io/keycloak/keycloak', digest],
    [`keycloak:26.0.7@${digest}`, 'keycloak', '26.0.7'],
    [`host:5000/x@${digest}`, 'host:5000/x', digest],
    // Created from an image id: no name, no tag.
    [digest, digest, '<none>'],
    ['ab12'.repeat(16), digest, '<none>'],
  ])('%s → %s : %s', (reference, image, tag) => {
    expect(parseImageReference(reference)).toEqual({ image, tag });
  });
});
