/**
 * The engine's `OutputStore` in the blob store (`--blob-store`): a native Workflow's offloaded
 * outputs beside Flyte's data, so etcd holds status and not data. A ref `<workflow uid>/<node path>`
 * maps to the deterministic object
 *
 *   <store>/flotilla/<namespace>/<workflow uid>/outputs/<sha256(ref)[:20]>.json
 *
 * holding the outputs as JSON. `put` is a whole-object write (atomic in every backend), so a
 * repeated round writing the same ref again is harmless. Objects outlive their Workflow, as Flyte's
 * data does: a bucket lifecycle rule (or a cron over file://) removes old ones; the ConfigMap store
 * (./output-store.ts) stays the fallback when no blob store is configured.
 */
import type { JsonObject } from '../../api/schema.js';
import type { OutputOwner, OutputStore } from '../../engine/outputs.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { isStorageError } from '../../storage/errors.js';
import { nativeOutputObjectUri } from '../../storage/layout.js';
import { AdapterError } from './errors.js';

export interface BlobOutputStoreOptions {
  store: BlobStore;
  /** Largest JSON stored. @defaultValue 16 MiB */
  maxBytes?: number;
}

/** The object holding `ref`'s outputs for `owner` (the layout is src/storage's: the console reads it too). */
export function outputObjectUri(store: BlobStore, ref: string, owner: OutputOwner): string {
  return nativeOutputObjectUri(store, ref, owner.metadata.namespace);
}

export class BlobOutputStore implements OutputStore {
  constructor(private readonly options: BlobOutputStoreOptions) {}

  private checkRef(ref: string): void {
    if (ref.indexOf('/') <= 0) throw new AdapterError('BadRef', `output ref ${ref} is not <uid>/<path>`);
  }

  async put(ref: string, value: JsonObject, owner: OutputOwner): Promise<void> {
    this.checkRef(ref);
    const bytes = Buffer.from(JSON.stringify(value));
    const max = this.options.maxBytes ?? 16 * 1024 * 1024;
    if (bytes.length > max)
      throw new AdapterError(
        'OutputTooLarge',
        `outputs ${ref} are ${bytes.length} bytes, more than the ${max} allowed`,
      );
    await this.options.store.put(outputObjectUri(this.options.store, ref, owner), bytes, {
      contentType: 'application/json',
    });
  }

  async get(ref: string, owner: OutputOwner): Promise<JsonObject | undefined> {
    this.checkRef(ref);
    const uri = outputObjectUri(this.options.store, ref, owner);
    let bytes: Uint8Array;
    try {
      bytes = await this.options.store.get(uri);
    } catch (error) {
      if (isStorageError(error, 'NotFound')) return undefined;
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as JsonObject;
    } catch (cause) {
      throw new AdapterError('CorruptOutput', `${uri} does not hold a JSON object`, { cause });
    }
  }
}
