/**
 * The task catalog contract: cached outputs of cacheable tasks (a template with `cache`), in the
 * shape of Flyte's datacatalog. The engine decides *when* to look up, reserve, store and release
 * (actions `lookupCache`, `extendCache`, `putCache`, `releaseCache`); a catalog implements *how*,
 * and derives the key (task identity, cache version, hash of the inputs) from the task's context,
 * because identity is the front end's business (a native task's namespace and name, a Flyte
 * task's project, domain and name).
 *
 * Guarantees a catalog gives:
 * - `lookup` with `reserve` takes or extends the reservation for `owner` when there is no stored
 *   entry; a reservation held by another owner that has not expired is reported, not taken.
 *   A reservation expires after a few heartbeats without extension (the server decides how many).
 * - `put` is idempotent for one key (a repeated put after a crash stores one entry); with
 *   `overwrite` it replaces the stored outputs. A thrown error means nothing was stored.
 * - `release` and `extend` are idempotent; releasing a reservation held by another owner does nothing.
 * - A thrown error from `lookup` means the catalog could not answer: the engine asks again later
 *   (as FlytePropeller does), it never runs the task on a guess.
 */
import type { JsonObject } from '../api/schema.js';
import type { TaskContext } from './plugins.js';

export type CacheLookup =
  | { readonly result: 'hit'; readonly outputs: JsonObject }
  /** No stored entry. `reservation` is absent when none was asked for. */
  | {
      readonly result: 'miss';
      readonly reservation?: {
        /** True when `owner` holds it now; false when another owner does. */
        readonly acquired: boolean;
        readonly owner: string;
        /** ISO 8601. */
        readonly expiresAt?: string;
      };
    };

export interface CacheLookupRequest {
  /** Take (or extend) the reservation when nothing is stored. */
  readonly reserve: boolean;
  /** The reservation's owner: the engine's id for the node. */
  readonly owner: string;
  /** How often the owner extends the reservation while the task runs. */
  readonly heartbeatMs: number;
}

export interface TaskCatalog {
  lookup(task: TaskContext, request: CacheLookupRequest, signal?: AbortSignal): Promise<CacheLookup>;
  /** Extends `owner`'s reservation (or takes it again when it expired meanwhile). */
  extend(task: TaskContext, owner: string, heartbeatMs: number, signal?: AbortSignal): Promise<void>;
  put(
    task: TaskContext,
    outputs: JsonObject,
    options: { readonly overwrite: boolean },
    signal?: AbortSignal,
  ): Promise<void>;
  release(task: TaskContext, owner: string, signal?: AbortSignal): Promise<void>;
}

/** What the driver learned from a `lookupCache` or `putCache` action, keyed by node path. */
export type CacheObservation =
  | { readonly action: 'lookup'; readonly lookup: CacheLookup }
  /** Without a catalog the driver answers `disabled`: the task runs uncached. */
  | { readonly action: 'lookup'; readonly disabled: true }
  | { readonly action: 'put'; readonly stored: true }
  | { readonly action: 'put'; readonly stored: false; readonly message: string };

/** The reservation owner of a node: stable across rounds, attempts and replicas. */
export function cacheOwnerId(uid: string, path: string): string {
  return `${uid}/${path}`;
}
