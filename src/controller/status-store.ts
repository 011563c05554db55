/**
 * Status reads and writes of one shard without stale reads or lost writes.
 *
 * The informer cache lags behind our own writes. After `writeStatus` stores version V, `read` does
 * not trust the cache until the informer has delivered V (watch events arrive in order, so anything
 * after V is newer). resourceVersions are compared for equality only. Until then `read` waits up to
 * `waitMs` for the informer and otherwise reads through with a GET (counted as a stale-cache skip).
 * A GET that shows a version the cache does not have yet becomes the version to wait for.
 *
 * `writeStatus` is a PUT on `/status` with the resourceVersion precondition of the object it was
 * given: a 409 is a `StatusConflictError` (re-read and redo the round), never an overwrite. It
 * stamps the status with the shard's epoch (`shardEpoch`), which the webhook's fence checks; a
 * refusal by the fence is a 409 too (the round then finds itself fenced).
 *
 * Own writes: every version this replica wrote is remembered until the informer delivers it, so
 * the replica can drop that update (`consumeOwnWrite`) instead of running a round on a state it
 * produced itself (controller-runtime's predicates do the same). A resourceVersion names exactly
 * one state of one object, and every write of ours is guarded by the version it read, so an event
 * carrying our version holds no change of anyone else; another writer's change has its own version.
 */
import type { Workflow } from '../api/workflow.js';
import type { WorkflowStatus } from '../api/status.js';
import { KubeError, StatusConflictError } from '../kube/errors.js';
import type { WorkflowClient } from '../kube/workflow-client.js';
import type { ResourceInformer } from '../kube/informer.js';

export interface StatusStoreOptions {
  client: Pick<WorkflowClient, 'get' | 'replaceStatus'>;
  /** The shard's Workflow informer (its cache and change stream). */
  informer: Pick<ResourceInformer<Workflow>, 'get' | 'onChange'>;
  /** How long `read` waits for the informer to catch up before a GET. @defaultValue 250 */
  waitMs?: number;
  /** Counted on every stale cache read. */
  onStaleSkip?: () => void;
  /** Counted on every 409. */
  onConflict?: () => void;
  /**
   * The fencing token stamped on every status write as `status.shardEpoch`: the shard lease's
   * epoch when the shard started here. @defaultValue none (static shards: nothing stamped)
   */
  shardEpoch?: number;
}

export class StatusStore {
  /** Reads where the cache was older than our last write. */
  staleSkips = 0;
  conflicts = 0;
  /** Per key: the resourceVersion the informer has yet to deliver before its cache is trusted. */
  private readonly awaited = new Map<string, string>();
  /** Per key: versions we wrote that the informer has not delivered yet (oldest first, bounded). */
  private readonly ownWrites = new Map<string, string[]>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: StatusStoreOptions) {
    this.unsubscribe = options.informer.onChange((type, workflow) => {
      const key = keyOf(workflow);
      if (type === 'delete') this.ownWrites.delete(key);
      if (type === 'delete' || this.awaited.get(key) === workflow.metadata.resourceVersion) {
        this.awaited.delete(key);
        for (const wake of this.waiters.get(key) ?? []) wake();
      }
    });
  }

  /** The resourceVersion this replica last wrote for `key`, while the cache has not shown it yet. */
  awaitedVersion(key: string): string | undefined {
    return this.awaited.get(key);
  }

  /**
   * The workflow, never older than our last write of it: from the cache when it has caught up,
   * else after a short wait, else by GET. `undefined` when it does not exist. `fresh` always GETs
   * (after a 409: someone else wrote a version our cache may not have).
   */
  async read(key: string, options: { fresh?: boolean } = {}): Promise<Workflow | undefined> {
    if (!options.fresh) {
      if (!this.awaited.has(key)) return this.options.informer.get(key);
      if (await this.waitForCache(key)) return this.options.informer.get(key);
      this.staleSkips += 1;
      this.options.onStaleSkip?.();
    }
    const [namespace, name] = splitKey(key);
    let fresh: Workflow;
    try {
      fresh = await this.options.client.get(namespace, name);
    } catch (error) {
      if (error instanceof KubeError && error.code === 'NotFound') {
        this.awaited.delete(key);
        return undefined;
      }
      throw error;
    }
    const cached = this.options.informer.get(key);
    const rv = fresh.metadata.resourceVersion;
    if (!rv || cached?.metadata.resourceVersion === rv) this.awaited.delete(key);
    else this.awaited.set(key, rv);
    return fresh;
  }

  /**
   * Replaces the status of `workflow` (guarded by `workflow.metadata.resourceVersion`) and returns
   * the stored object. 409 → `StatusConflictError`; other failures → `KubeError`.
   */
  async writeStatus(workflow: Workflow, status: WorkflowStatus): Promise<Workflow> {
    const key = keyOf(workflow);
    const precondition = workflow.metadata.resourceVersion ?? '';
    let stored: Workflow;
    try {
      const epoch = this.options.shardEpoch;
      stored = await this.options.client.replaceStatus({
        ...workflow,
        status: epoch === undefined ? status : { ...status, shardEpoch: epoch },
      });
    } catch (error) {
      if (error instanceof KubeError && error.code === 'Conflict') {
        this.conflicts += 1;
        this.options.onConflict?.();
        throw new StatusConflictError(key, precondition, { cause: error });
      }
      throw error;
    }
    this.noteWrite(stored);
    return stored;
  }

  /** Records any other write of ours (e.g. a metadata patch): reads wait for the cache to show it. */
  noteWrite(stored: Pick<Workflow, 'metadata'>): void {
    const rv = stored.metadata.resourceVersion;
    const key = keyOf(stored);
    if (!rv) return;
    // The echo may have come first (watch and answer race): the caller may still hold it back.
    if (this.options.informer.get(key)?.metadata.resourceVersion !== rv) this.awaited.set(key, rv);
    const own = this.ownWrites.get(key);
    if (!own) this.ownWrites.set(key, [rv]);
    // Versions the watch skipped (a re-list) never arrive: keep only the last few.
    else if (own.push(rv) > MAX_OWN_WRITES) own.shift();
  }

  /**
   * True (once) when `resourceVersion` is a version of `key` this replica wrote and the informer
   * now delivers: that update holds only our own change and needs no round. Forgetting a version
   * only costs a round; a version is never reused, so a foreign change is never taken for ours.
   */
  consumeOwnWrite(key: string, resourceVersion: string | undefined): boolean {
    const own = this.ownWrites.get(key);
    if (!own || resourceVersion === undefined) return false;
    const at = own.indexOf(resourceVersion);
    if (at < 0) return false;
    own.splice(at, 1);
    if (own.length === 0) this.ownWrites.delete(key);
    return true;
  }

  /** Drops what is remembered for `key` (e.g. the workflow moved to another shard). */
  forget(key: string): void {
    this.awaited.delete(key);
    this.ownWrites.delete(key);
  }

  close(): void {
    this.unsubscribe();
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }

  private waitForCache(key: string): Promise<boolean> {
    const waitMs = this.options.waitMs ?? 250;
    if (waitMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(key);
        resolve(!this.awaited.has(key));
      };
      const timer = setTimeout(done, waitMs);
      set.add(done);
    });
  }
}

/** Own versions remembered per key (a round writes at most three: finalizer, status, finalizer). */
const MAX_OWN_WRITES = 8;

function keyOf(workflow: Pick<Workflow, 'metadata'>): string {
  return `${workflow.metadata.namespace}/${workflow.metadata.name}`;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
