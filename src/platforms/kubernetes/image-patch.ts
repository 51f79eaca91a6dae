/**
 * The new image of each container of a workload's pod template, and the strategic-merge
 * patch that sets it (what `kubectl set image` ends up sending): containers are merged by
 * their `name`, so only `image` changes and every other field stays as it is.
 */
import { UserError } from '../../core/errors.ts';
import { quoteValue } from '../../core/parse.ts';
import type { ImageTarget } from '../../core/platform.ts';
import { parseImageReference, untagged } from '../docker/image-ref.ts';
import type { PodTemplate } from './objects.ts';
import { strategicMergePatch } from './restart-patch.ts';

// distribution/reference, the grammar the kubelet's image pull checks too:
// [domain[:port]/]path-component(/path-component)*, then :tag and/or @sha256:digest. The
// target is checked again here, since the pod template takes any string.
const domainPart = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const domain = `${domainPart}(?:\\.${domainPart})*(?::[0-9]+)?`;
const pathPart = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const referencePattern = new RegExp(
  `^(?:${domain}/)?${pathPart}(?:/${pathPart})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`,
);

/** distribution/reference NameTotalLengthMax plus a tag and a digest. */
const maxReferenceLength = 255 + 129 + 72;

export function isImageReference(value: string): boolean {
  return value.length <= maxReferenceLength && referencePattern.test(value);
}

export interface ContainerImageChange {
  readonly container: string;
  readonly from: string;
  readonly to: string;
}

export interface ImagePlan {
  /** Every container of the template, changed or not. */
  readonly changes: readonly ContainerImageChange[];
  /** undefined when no container would run another image. */
  readonly patch: unknown;
  readonly contentType: typeof strategicMergePatch;
}

/** The repository of a reference as written (no normalising of `docker.io/library/`). */
function repositoryOf(reference: string): string {
  return parseImageReference(reference).image;
}

/**
 * The repository a target is about: a digest or full reference names its own; a tag names
 * none, so it is the workload's main repository, that of its first container (the one
 * `kubectl` and the pod's default container annotation usually point at).
 */
function targetRepository(target: ImageTarget, containers: readonly { image?: string }[]): string {
  switch (target.kind) {
    case 'digest':
      return repositoryOf(target.image);
    case 'reference':
      return repositoryOf(target.reference);
    default:
      return repositoryOf(containers[0]?.image ?? '');
  }
}

function newReference(current: string, target: ImageTarget, container: string): string {
  switch (target.kind) {
    case 'tag': {
      const { image, tag } = parseImageReference(current);
      if (tag === untagged) throw new UserError('image-not-tagged', { container });
      return `${image}:${target.tag}`;
    }
    case 'digest':
      return `${target.image}@${target.digest}`;
    case 'reference':
      return target.reference;
    case 'current':
      return current;
    case 'previous':
      // The previous image of a workload is its previous revision: that is an undo (undo.ts).
      throw new Error('the previous image is restored by an undo, not by an image patch');
  }
}

/**
 * The new image of each container of the template. A pod often runs sidecars from other
 * images (a proxy, an exporter), so a target changes only the containers of its repository:
 * a digest or reference those whose repository is the target's (none is a usage error), a
 * tag those whose repository is the first container's. The others, and the init containers
 * (they run to completion before the service starts), keep their image.
 */
export function planImage(template: PodTemplate, target: ImageTarget): ImagePlan {
  const containers = template.spec?.containers ?? [];
  const repository = targetRepository(target, containers);
  const applies = (image: string): boolean =>
    target.kind === 'current' || repositoryOf(image) === repository;
  if (target.kind === 'digest' || target.kind === 'reference') {
    const wanted = target.kind === 'digest' ? `${target.image}@${target.digest}` : target.reference;
    // Checked before matching, so that a bad reference is named as such.
    if (!isImageReference(wanted)) {
      throw new UserError('update-bad-target', { value: quoteValue(wanted) });
    }
    if (!containers.some((c) => applies(c.image ?? ''))) {
      throw new UserError('kubernetes-image-no-container', {
        repository,
        containers: containers.map((c) => `${c.name} (${c.image ?? ''})`).join(', '),
      });
    }
  }
  const changes = containers.map((c) => {
    const from = c.image ?? '';
    if (!applies(from)) return { container: c.name, from, to: from };
    const to = newReference(from, target, c.name);
    if (!isImageReference(to)) throw new UserError('update-bad-target', { value: quoteValue(to) });
    return { container: c.name, from, to };
  });
  const changed = changes.filter((c) => c.to !== c.from);
  return {
    changes,
    contentType: strategicMergePatch,
    patch:
      changed.length === 0
        ? undefined
        : {
            spec: {
              template: {
                spec: { containers: changed.map((c) => ({ name: c.container, image: c.to })) },
              },
            },
          },
  };
}
