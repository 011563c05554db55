/**
 * What an informer keeps of an object: everything a controller reads, not the API server's
 * bookkeeping. Like controller-runtime's `cache.TransformStripManagedFields`, applied to each object
 * before it is cached (in place: the informer's objects are its own, nobody else holds them).
 *
 * Stripped:
 * - `metadata.managedFields`: server-side-apply ownership, written by a real API server on every
 *   object, often as large as the spec. A PUT without it leaves the stored value unchanged, and
 *   our writes to cached objects are `/status` PUTs and patches.
 * - the annotation `kubectl.kubernetes.io/last-applied-configuration`: `kubectl apply`'s copy of
 *   the whole object as text (a second spec). Only kubectl reads it; `/status` writes ignore
 *   metadata, so dropping it from the cached copy never removes it from the stored object.
 */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** An object's metadata as far as the transform touches it. */
export interface StrippableObject {
  metadata?: { managedFields?: unknown; annotations?: Record<string, string> };
}

/** Removes the fields above from `object` (in place). */
export function stripForCache(object: StrippableObject): void {
  const metadata = object.metadata;
  if (!metadata) return;
  if (metadata.managedFields !== undefined) delete metadata.managedFields;
  const annotations = metadata.annotations;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete metadata.annotations;
  }
}
