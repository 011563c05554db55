/** Where large node outputs live. The controller stores them in ConfigMaps; `flotilla run` in memory. */
import type { JsonObject } from '../api/schema.js';

/**
 * A store of offloaded outputs. The engine chooses the ref (`<workflow uid>/<node path>`,
 * deterministic), so a repeated round writes the same ref again: `put` must be an idempotent
 * upsert. `get` returns `undefined` for an unknown ref.
 */
export interface OutputStore {
  put(ref: string, value: JsonObject): Promise<void>;
  get(ref: string): Promise<JsonObject | undefined>;
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
