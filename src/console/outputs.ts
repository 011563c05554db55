/**
 * A node's outputs offloaded to the blob store (`outputRef` in its status), read when its panel
 * opens. The object's name is src/storage's layout (`nativeOutputObjectUri`), the one the
 * controller writes, so the console needs only the store's URL and its own read rights.
 */
import type { JsonObject } from '../api/schema.js';
import type { BlobStore } from '../storage/blob-store.js';
import { isStorageError } from '../storage/errors.js';
import { nativeOutputObjectUri } from '../storage/layout.js';
import { ConsoleError } from './errors.js';
import { engineStatus, type AnyWorkflowObject } from './model.js';

export interface NodeOutputs {
  /** False when the console runs without `--blob-store` (the panel shows the reference only). */
  configured: boolean;
  /** The node's `outputRef`; null when its outputs are inline in the status (or it has none). */
  ref: string | null;
  /** The object read. */
  uri: string | null;
  outputs: JsonObject | null;
}

/** Reads the offloaded outputs of `nodeId` of `object` from `store` (undefined: no store configured). */
export async function readNodeOutputs(
  store: BlobStore | undefined,
  object: AnyWorkflowObject,
  nodeId: string,
): Promise<NodeOutputs> {
  const ref = engineStatus(object).nodes?.[nodeId]?.outputRef ?? null;
  if (!store || ref === null) return { configured: store !== undefined, ref, uri: null, outputs: null };
  const namespace = object.metadata?.namespace ?? '';
  if (ref.indexOf('/') <= 0)
    throw new ConsoleError('BadRequest', `output ref ${ref} is not <workflow uid>/<node path>`);
  const uri = nativeOutputObjectUri(store, ref, namespace);
  let bytes: Uint8Array;
  try {
    bytes = await store.get(uri);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (isStorageError(cause, 'NotFound'))
      throw new ConsoleError('NotFound', `the outputs of ${nodeId} (${ref}) are not in the blob store: ${uri}`, {
        cause,
      });
    throw new ConsoleError('Unavailable', `cannot read the outputs of ${nodeId} from ${uri}: ${message}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new ConsoleError('Internal', `${uri} does not hold JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConsoleError('Internal', `${uri} does not hold a JSON object`);
  return { configured: true, ref, uri, outputs: parsed as JsonObject };
}
