/**
 * The engine's `TaskCatalog` over any {@link CatalogBackend}: the front end (native or Flyte)
 * derives the key and turns outputs into literals, the backend (embedded Redis, Flyte's
 * datacatalog over gRPC, memory) stores them.
 */
import type { JsonObject } from '../api/schema.js';
import type { CacheLookup, CacheLookupRequest, TaskCatalog } from '../engine/catalog.js';
import type { TaskContext } from '../engine/plugins.js';
import { CatalogError } from './errors.js';
import type { ArtifactSource, CatalogBackend, CatalogKey, LiteralMapJson, StoredArtifact } from './model.js';

/** What a front end tells the catalog about its tasks. */
export interface CatalogFrontEnd {
  /** The key of the task's outputs for its inputs. Throws `CatalogError('BadEntry')` for a task it cannot key. */
  keyOf(task: TaskContext): CatalogKey;
  /** Engine outputs → literals (what is stored). */
  toLiterals(task: TaskContext, outputs: JsonObject): LiteralMapJson;
  /** Stored literals → engine outputs; throws `CatalogError('BadEntry')` when they do not fit the task. */
  fromLiterals(task: TaskContext, data: LiteralMapJson): JsonObject;
}

export interface CatalogClientOptions {
  readonly backend: CatalogBackend;
  readonly frontEnd: CatalogFrontEnd;
  /** Entries older than this are misses (Flyte's `max-cache-age`). @defaultValue 0 = never too old */
  readonly maxCacheAgeMs?: number;
  /** @defaultValue Date.now */
  readonly clock?: () => number;
  /** Called once per lookup with its result (metrics). */
  readonly onLookup?: (result: LookupResult) => void;
}

/** A lookup's result as counted: `waiting` = another owner holds the reservation. */
export type LookupResult = 'hit' | 'miss' | 'waiting' | 'error';

export class CatalogClient implements TaskCatalog {
  private readonly clock: () => number;

  constructor(private readonly options: CatalogClientOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async lookup(task: TaskContext, request: CacheLookupRequest, signal?: AbortSignal): Promise<CacheLookup> {
    let answer: CacheLookup;
    try {
      answer = await this.lookupOnce(task, request, signal);
    } catch (error) {
      this.options.onLookup?.('error');
      throw error;
    }
    this.options.onLookup?.(
      answer.result === 'hit' ? 'hit' : answer.reservation?.acquired === false ? 'waiting' : 'miss',
    );
    return answer;
  }

  private async lookupOnce(task: TaskContext, request: CacheLookupRequest, signal?: AbortSignal): Promise<CacheLookup> {
    const key = this.options.frontEnd.keyOf(task);
    const found = await this.read(task, key, signal);
    if (found) return found;
    if (!request.reserve) return { result: 'miss' };
    const held = await this.options.backend.getOrExtendReservation(key, request.owner, request.heartbeatMs, signal);
    const acquired = held.owner === request.owner;
    if (acquired) {
      // Look once more: a holder that stored its outputs and released just now must not run twice.
      const late = await this.read(task, key, signal);
      if (late) {
        await this.options.backend.releaseReservation(key, request.owner, signal);
        return late;
      }
    }
    return {
      result: 'miss',
      reservation: {
        acquired,
        owner: held.owner,
        ...(held.expiresAt !== undefined ? { expiresAt: held.expiresAt } : {}),
      },
    };
  }

  async extend(task: TaskContext, owner: string, heartbeatMs: number, signal?: AbortSignal): Promise<void> {
    await this.options.backend.getOrExtendReservation(this.options.frontEnd.keyOf(task), owner, heartbeatMs, signal);
  }

  async put(
    task: TaskContext,
    outputs: JsonObject,
    options: { readonly overwrite: boolean },
    signal?: AbortSignal,
  ): Promise<void> {
    const key = this.options.frontEnd.keyOf(task);
    const source: ArtifactSource = {
      executionName: `${task.workflow.namespace}/${task.workflow.name}`,
      nodeId: task.nodeId,
      attempt: task.attempt,
    };
    await this.options.backend.putArtifact(
      key,
      this.options.frontEnd.toLiterals(task, outputs),
      { overwrite: options.overwrite, source },
      signal,
    );
  }

  async release(task: TaskContext, owner: string, signal?: AbortSignal): Promise<void> {
    await this.options.backend.releaseReservation(this.options.frontEnd.keyOf(task), owner, signal);
  }

  /** A usable stored entry as a hit; an expired or unreadable one is a miss (it is overwritten by the next put). */
  private async read(task: TaskContext, key: CatalogKey, signal?: AbortSignal): Promise<CacheLookup | undefined> {
    const artifact = await this.options.backend.getArtifact(key, signal);
    if (!artifact || this.tooOld(artifact)) return undefined;
    try {
      return { result: 'hit', outputs: this.options.frontEnd.fromLiterals(task, artifact.data) };
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'BadEntry') return undefined;
      throw error;
    }
  }

  private tooOld(artifact: StoredArtifact): boolean {
    const maxAge = this.options.maxCacheAgeMs ?? 0;
    if (maxAge <= 0 || artifact.createdAt === undefined) return false;
    return this.clock() - Date.parse(artifact.createdAt) > maxAge;
  }
}
