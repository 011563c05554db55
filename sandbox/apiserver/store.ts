/**
 * The object store: every object by resource and key, one global resourceVersion counter
 * (etcd-like, bumped once per write), a bounded ring of change events for resuming watches, and
 * an index of dependents by owner uid for garbage collection. Stored objects are treated as
 * immutable: writers pass a fresh object, readers never mutate what they get.
 */
import type { KubeObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, kept in the history ring and fanned out to watchers. */
export interface StoreEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly resourceKey: string;
  readonly object: KubeObject;
  /** The object before this change (MODIFIED only). */
  readonly prev?: KubeObject;
  /** Serialised watch lines, by variant, so N watchers cost one JSON.stringify. */
  readonly lines: Map<string, string>;
}

/** A write to persist: the object after the change, or its removal. */
export type PersistOp =
  | { op: 'put'; resourceKey: string; rv: number; object: KubeObject }
  | { op: 'del'; resourceKey: string; rv: number; namespace: string; name: string };

export interface StoreOptions {
  /** Events kept for resuming watches. @defaultValue 10000 */
  historyLimit?: number;
  /** Called synchronously for each write, in order. */
  onEvent?: (event: StoreEvent) => void;
  /** Called synchronously for each write, in order (persistence). */
  onPersist?: (op: PersistOp) => void;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function resourceKeyOf(group: string, plural: string): string {
  return `${group}/${plural}`;
}

interface DependentRef {
  resourceKey: string;
  namespace: string;
  name: string;
}

export class Store {
  private rv = 0;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private readonly ring: (StoreEvent | undefined)[];
  private ringStart = 0;
  private ringCount = 0;
  /** Events with rv <= compactedRv are no longer retained. */
  private compactedRv = 0;
  /** Set by an explicit compaction (fault): continue tokens and Exact lists older than it get 410. */
  forcedCompactionRv = 0;
  private readonly dependents = new Map<string, Map<string, DependentRef>>();
  private readonly listeners: ((event: StoreEvent) => void)[] = [];
  private readonly onPersist: ((op: PersistOp) => void) | undefined;

  constructor(options: StoreOptions = {}) {
    this.ring = new Array<StoreEvent | undefined>(Math.max(1, options.historyLimit ?? 10000));
    if (options.onEvent) this.listeners.push(options.onEvent);
    this.onPersist = options.onPersist;
  }

  addListener(listener: (event: StoreEvent) => void): void {
    this.listeners.push(listener);
  }

  get currentRv(): number {
    return this.rv;
  }

  get oldestRetainedRv(): number {
    return this.compactedRv;
  }

  /** Loads persisted state: objects and the counter; history starts empty (older rvs get 410). */
  load(rv: number, objects: Iterable<{ resourceKey: string; object: KubeObject }>): void {
    this.rv = rv;
    this.compactedRv = rv;
    for (const { resourceKey, object } of objects) {
      this.table(resourceKey).set(objectKey(object.metadata.namespace, object.metadata.name ?? ''), object);
      this.indexOwners(resourceKey, undefined, object);
    }
  }

  private table(resourceKey: string): Map<string, KubeObject> {
    let t = this.tables.get(resourceKey);
    if (!t) {
      t = new Map();
      this.tables.set(resourceKey, t);
    }
    return t;
  }

  get(resourceKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.tables.get(resourceKey)?.get(objectKey(namespace, name));
  }

  /** Objects of a resource, optionally in one namespace, sorted by key. */
  list(resourceKey: string, namespace?: string): KubeObject[] {
    const t = this.tables.get(resourceKey);
    if (!t) return [];
    const out: KubeObject[] = [];
    for (const obj of t.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out;
  }

  count(resourceKey: string): number {
    return this.tables.get(resourceKey)?.size ?? 0;
  }

  /** Every resource key that holds at least one object. */
  resourceKeys(): string[] {
    return [...this.tables.keys()];
  }

  /** Objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): DependentRef[] {
    return [...(this.dependents.get(uid)?.values() ?? [])];
  }

  /** Inserts or replaces `object` (a fresh object this store now owns); sets its resourceVersion. */
  put(resourceKey: string, object: KubeObject): KubeObject {
    const t = this.table(resourceKey);
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    const prev = t.get(key);
    this.rv += 1;
    object.metadata.resourceVersion = String(this.rv);
    t.set(key, object);
    this.indexOwners(resourceKey, prev, object);
    this.onPersist?.({ op: 'put', resourceKey, rv: this.rv, object });
    this.emit(
      prev
        ? { rv: this.rv, type: 'MODIFIED', resourceKey, object, prev, lines: new Map() }
        : { rv: this.rv, type: 'ADDED', resourceKey, object, lines: new Map() },
    );
    return object;
  }

  /** Removes an object; the DELETED event carries it (or `finalState`) with a fresh resourceVersion. */
  remove(
    resourceKey: string,
    namespace: string | undefined,
    name: string,
    finalState?: KubeObject,
  ): KubeObject | undefined {
    const t = this.tables.get(resourceKey);
    const key = objectKey(namespace, name);
    const prev = t?.get(key);
    if (!t || !prev) return undefined;
    t.delete(key);
    this.rv += 1;
    const last = finalState ?? prev;
    const object: KubeObject = { ...last, metadata: { ...last.metadata, resourceVersion: String(this.rv) } };
    this.indexOwners(resourceKey, prev, undefined);
    this.onPersist?.({ op: 'del', resourceKey, rv: this.rv, namespace: namespace ?? '', name });
    this.emit({ rv: this.rv, type: 'DELETED', resourceKey, object, lines: new Map() });
    return object;
  }

  /** Events after `rv` for `resourceKey`, or 'expired' when history no longer reaches back. */
  eventsSince(rv: number, resourceKey: string): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    const out: StoreEvent[] = [];
    const size = this.ring.length;
    // Binary search the first event with event.rv > rv.
    let lo = 0;
    let hi = this.ringCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = this.ring[(this.ringStart + mid) % size];
      if (e && e.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.ringCount; i++) {
      const e = this.ring[(this.ringStart + i) % size];
      if (e && e.resourceKey === resourceKey) out.push(e);
    }
    return out;
  }

  /** Drops all retained history: a watch or list from any older resourceVersion gets 410. */
  compact(): void {
    this.ring.fill(undefined);
    this.ringStart = 0;
    this.ringCount = 0;
    this.compactedRv = this.rv;
    this.forcedCompactionRv = this.rv;
  }

  private emit(event: StoreEvent): void {
    const size = this.ring.length;
    if (this.ringCount < size) {
      this.ring[(this.ringStart + this.ringCount) % size] = event;
      this.ringCount += 1;
    } else {
      const dropped = this.ring[this.ringStart];
      if (dropped) this.compactedRv = dropped.rv;
      this.ring[this.ringStart] = event;
      this.ringStart = (this.ringStart + 1) % size;
    }
    for (const listener of this.listeners) listener(event);
  }

  private indexOwners(resourceKey: string, prev: KubeObject | undefined, next: KubeObject | undefined): void {
    const ref = next ?? prev;
    if (!ref) return;
    const depKey = `${resourceKey}|${objectKey(ref.metadata.namespace, ref.metadata.name ?? '')}`;
    for (const o of prev?.metadata.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(depKey);
    for (const o of next?.metadata.ownerReferences ?? []) {
      let m = this.dependents.get(o.uid);
      if (!m) {
        m = new Map();
        this.dependents.set(o.uid, m);
      }
      m.set(depKey, { resourceKey, namespace: ref.metadata.namespace ?? '', name: ref.metadata.name ?? '' });
    }
    for (const o of prev?.metadata.ownerReferences ?? []) {
      if (this.dependents.get(o.uid)?.size === 0) this.dependents.delete(o.uid);
    }
  }
}
