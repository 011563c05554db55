/**
 * How a gate's signal reaches a Workflow: an annotation on the Workflow object, written by
 * `flotilla signal`, the SignalService, or anyone with `patch` on workflows.
 *
 *   metadata.annotations["signal.flotilla.io/<name>"] = JSON {"value": <typed value>, "setAt": ISO, "setBy"?: string}
 *
 * An annotation (not a status field) because status belongs to the owning replica: a signal
 * written by anyone else would race the replica's resourceVersion-guarded status writes. A merge
 * patch of metadata.annotations does not bump metadata.generation, and the owning shard's
 * informer sees the change and runs a round, which consumes the signal into the gate's status.
 */
import type { JsonValue } from './schema.js';

export const SIGNAL_ANNOTATION_PREFIX = 'signal.flotilla.io/';

export interface SignalRecord {
  value: JsonValue;
  setAt: string;
  setBy?: string;
}

export function signalAnnotationKey(name: string): string {
  return `${SIGNAL_ANNOTATION_PREFIX}${name}`;
}
