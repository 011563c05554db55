/**
 * The recovery contract (`spec.recoverFrom`, Flyte's `RecoveryExecution`): before a task node's
 * first attempt the engine asks whether the node succeeded in the named earlier execution; if it
 * did, the node takes that execution's outputs and succeeds without an attempt, as FlytePropeller's
 * node executor does (its recovery check comes before the cache lookup). The engine decides *when*
 * (action `recoverTask`); a recovery source implements *where* the earlier execution's outputs
 * are recorded (FlyteAdmin's node executions, or the blob store), because that is the front end's
 * business.
 *
 * A thrown error means the source could not answer: the engine asks again later, it never runs the
 * task on a guess (running it would duplicate work the user asked to keep).
 */
import type { JsonObject } from '../api/schema.js';
import type { TaskContext } from './plugins.js';

export type RecoveryLookup =
  | { readonly recovered: true; readonly outputs: JsonObject }
  /** The node did not succeed there (or the execution or its data are gone): it runs. */
  | { readonly recovered: false; readonly reason: string };

export interface TaskRecovery {
  recover(task: TaskContext, from: string, signal?: AbortSignal): Promise<RecoveryLookup>;
}

/** What the driver learned from a `recoverTask` action; `disabled` when it has no recovery source. */
export type RecoveryObservation = RecoveryLookup | { readonly disabled: true };
