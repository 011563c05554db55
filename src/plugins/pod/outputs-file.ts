/**
 * Outputs of a pod task through the blob store. A real kubelet keeps at most 4 KiB of a
 * container's termination message, so a task with larger outputs writes them as a JSON object to
 * the URI in `FLOTILLA_OUTPUTS_URI` instead (the controller sets it when it has a blob store). On
 * success the plugin reads that object when it exists, else the termination message, so small
 * tasks that print their outputs keep working. One object per attempt (the Pod's name holds it):
 *
 *   <store>/flotilla/<namespace>/<workflow uid>/pods/<pod name>/outputs.json
 */
import type { JsonObject } from '../../api/schema.js';
import type { TaskContext } from '../../engine/plugins.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { isStorageError } from '../../storage/errors.js';
import { podNameFor } from './build.js';

export function outputsUriFor(store: BlobStore, ctx: Pick<TaskContext, 'workflow' | 'nodeId' | 'attempt'>): string {
  return store.join('flotilla', ctx.workflow.namespace, ctx.workflow.uid, 'pods', podNameFor(ctx), 'outputs.json');
}

/**
 * The attempt's outputs object: `{ found: false }` when the task wrote none, `{ reason }` when it
 * is not a JSON object. A store outage is thrown (the round is retried).
 */
export async function readOutputsFile(
  store: BlobStore,
  uri: string,
  signal?: AbortSignal,
): Promise<{ found: true; outputs: JsonObject } | { found: false } | { found: true; invalid: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(uri, signal ? { signal } : undefined);
  } catch (error) {
    if (isStorageError(error, 'NotFound')) return { found: false };
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { found: true, invalid: `${uri} is JSON but not an object` };
    return { found: true, outputs: parsed as JsonObject };
  } catch (error) {
    return { found: true, invalid: `${uri} is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}
