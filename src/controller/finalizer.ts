/**
 * The abort finalizer (`flotilla.io/abort`): a running Workflow carries it so that deleting it
 * first lets the owning replica abort its tasks (the engine turns `deletionTimestamp` into
 * Aborted); it is removed once the Workflow is terminal, so finished Workflows delete at once.
 *
 * Both changes are JSON merge patches of `metadata.finalizers` carrying the object's
 * resourceVersion, so a concurrent change is a 409 (`KubeError('Conflict')`), never lost.
 */
import { ABORT_FINALIZER, type Workflow } from '../api/workflow.js';
import { KubeError } from '../kube/errors.js';

export interface FinalizerClient {
  mergePatch(namespace: string, name: string, patch: Record<string, unknown>): Promise<Workflow>;
}

export function hasAbortFinalizer(workflow: Pick<Workflow, 'metadata'>): boolean {
  return workflow.metadata.finalizers?.includes(ABORT_FINALIZER) ?? false;
}

/** Adds the finalizer (no-op when present); returns the object as stored. */
export async function addAbortFinalizer(client: FinalizerClient, workflow: Workflow): Promise<Workflow> {
  if (hasAbortFinalizer(workflow)) return workflow;
  return patchFinalizers(client, workflow, [...(workflow.metadata.finalizers ?? []), ABORT_FINALIZER]);
}

/** Removes the finalizer (no-op when absent); `undefined` when the object is gone meanwhile. */
export async function removeAbortFinalizer(client: FinalizerClient, workflow: Workflow): Promise<Workflow | undefined> {
  if (!hasAbortFinalizer(workflow)) return workflow;
  try {
    return await patchFinalizers(
      client,
      workflow,
      (workflow.metadata.finalizers ?? []).filter((f) => f !== ABORT_FINALIZER),
    );
  } catch (error) {
    if (error instanceof KubeError && error.code === 'NotFound') return undefined;
    throw error;
  }
}

function patchFinalizers(client: FinalizerClient, workflow: Workflow, finalizers: string[]): Promise<Workflow> {
  const metadata: Record<string, unknown> = { finalizers };
  if (workflow.metadata.resourceVersion) metadata.resourceVersion = workflow.metadata.resourceVersion;
  return client.mergePatch(workflow.metadata.namespace, workflow.metadata.name, { metadata });
}
