/** Where large node outputs live. The controller stores them in ConfigMaps; `flotilla run` in memory. */
import type { JsonObject } from '../api/schema.js';
import type { Workflow } from '../api/workflow.js';

/** The Workflow whose round stores or reads a ref: a store keeps outputs beside it (its namespace, owned by it). */
export type OutputOwner = Pick<Workflow, 'metadata'>;

/**
 * A store of offloaded outputs. The engine chooses the ref (`<workflow uid>/<node path>`,
 * deterministic), so a repeated round writes the same ref again: `put` must be an idempotent
 * upsert. `get` returns `undefined` for an unknown ref. Every call names its `owner`, so a store
 * needs no ambient round state.
 */
export interface OutputStore {
  put(ref: string, value: JsonObject, owner: OutputOwner): Promise<void>;
  get(ref: string, owner: OutputOwner): Promise<JsonObject | undefined>;
}

export class MemoryOutputStore implements OutputStore {
  private readonly values = new Map<string, string>();

  async put(ref: string, value: JsonObject): Promise<void> {
    this.values.set(ref, JSON.stringify(value));
  }

  async get(ref: string): Promise<JsonObject | undefined> {
    const text = this.values.get(ref);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  get size(): number {
    return this.values.size;
  }
}
