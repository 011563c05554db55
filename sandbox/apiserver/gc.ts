/**
 * Deletion: preconditions, finalizers (deletionTimestamp, removal when the last one goes),
 * graceful Pod deletion, propagation (Foreground / Background / Orphan), garbage collection of
 * dependents through ownerReferences, namespace termination and CRD clean-up.
 */
import { ApiError } from './errors.js';
import { nowTime } from './object-meta.js';
import { QUOTA_KEY, refreshQuotas } from './quota.js';
import { CRD_KEY, NAMESPACE_KEY, type Resources } from './operations.js';
import type { StoreEvent } from './store.js';
import type { JsonObject, KubeObject, ObjectMeta, ResourceType } from './types.js';
import { isObject } from './types.js';

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as it is now (removed, or marked for deletion). */
  object: KubeObject;
  /** True when the object is gone from the store. */
  removed: boolean;
}

const protectedNamespaces = new Set(['default', 'kube-system', 'kube-public']);
const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

export class Collector {
  private readonly terminating = new Set<string>();
  private sweepScheduled = false;
  private readonly pendingOwners = new Set<string>();
  private readonly orphaned = new Set<string>();
  private stopped = false;

  constructor(private readonly res: Resources) {
    res.onFinalized = (rt, obj) => this.finalize(rt, obj);
    res.store.addListener((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopped = true;
  }

  delete(
    rt: ResourceType,
    version: string,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): DeleteResult {
    const existing = this.res.get(rt, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== existing.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${this.res.qualified(rt)} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`,
        { name, group: rt.group, kind: rt.plural },
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${this.res.qualified(rt)} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`,
        { name, group: rt.group, kind: rt.plural },
      );
    }
    const key = this.res.key(rt);
    if (key === NAMESPACE_KEY && protectedNamespaces.has(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, {
        name,
        kind: 'namespaces',
        group: '',
      });
    }
    if (opts.dryRun) return { object: this.res.present(rt, version, existing), removed: false };
    const policy: PropagationPolicy =
      opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : 'Background');
    if (policy === 'Orphan') this.orphanDependents(existing);

    const finalizers = [...(existing.metadata.finalizers ?? [])];
    if (
      policy === 'Foreground' &&
      !finalizers.includes(FOREGROUND) &&
      existing.metadata.deletionTimestamp === undefined
    )
      finalizers.push(FOREGROUND);
    let grace = 0;
    if (key === '/pods') grace = this.podGrace(existing, opts.gracePeriodSeconds);
    if (key === NAMESPACE_KEY) return this.terminateNamespace(rt, version, existing);
    if (key === CRD_KEY) this.dropCustomResources(existing);

    if (finalizers.length > 0 || grace > 0) {
      const meta = { ...existing.metadata, finalizers: finalizers.length > 0 ? finalizers : undefined };
      if (meta.finalizers === undefined) delete meta.finalizers;
      const already = existing.metadata.deletionTimestamp !== undefined;
      const currentGrace = existing.metadata.deletionGracePeriodSeconds ?? 0;
      if (
        already &&
        (key !== '/pods' || grace >= currentGrace) &&
        (meta.finalizers?.length ?? 0) === (existing.metadata.finalizers?.length ?? 0)
      ) {
        return { object: this.res.present(rt, version, existing), removed: false };
      }
      if (!already || grace < currentGrace) {
        meta.deletionTimestamp = nowTime(new Date(Date.now() + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length === 0 && grace === 0)
        return {
          object: this.res.present(rt, version, this.remove(rt, { ...existing, metadata: meta })),
          removed: true,
        };
      const stored = this.res.store.put(key, { ...existing, metadata: meta });
      if (policy === 'Foreground') this.collectDependents(stored, true);
      return { object: this.res.present(rt, version, stored), removed: false };
    }
    return { object: this.res.present(rt, version, this.remove(rt, existing)), removed: true };
  }

  private podGrace(pod: KubeObject, requested: number | undefined): number {
    const spec = isObject(pod['spec']) ? pod['spec'] : {};
    const status = isObject(pod['status']) ? pod['status'] : {};
    if (typeof spec['nodeName'] !== 'string' || spec['nodeName'] === '') return 0;
    if (status['phase'] === 'Succeeded' || status['phase'] === 'Failed') return 0;
    if (requested !== undefined) return Math.max(0, requested);
    const configured = spec['terminationGracePeriodSeconds'];
    return typeof configured === 'number' ? configured : 30;
  }

  /** Removes the object now; dependents are collected in the background. */
  private remove(rt: ResourceType, obj: KubeObject): KubeObject {
    const removed =
      this.res.store.remove(this.res.key(rt), obj.metadata.namespace, obj.metadata.name ?? '', obj) ?? obj;
    if (rt.namespaced && this.res.key(rt) !== QUOTA_KEY)
      refreshQuotas(this.res.store, removed.metadata.namespace ?? '');
    if (this.res.key(rt) === CRD_KEY) this.unserve(obj);
    this.collectDependents(removed, false);
    return removed;
  }

  /** Called when an update removed the last finalizer of an object being deleted. */
  private finalize(rt: ResourceType, obj: KubeObject): KubeObject {
    return this.remove(rt, obj);
  }

  private ownerType(ref: { apiVersion: string; kind: string }): ResourceType | undefined {
    const group = ref.apiVersion.includes('/') ? (ref.apiVersion.split('/')[0] ?? '') : '';
    return this.res.registry.byKind(group, ref.kind);
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    for (const dep of this.res.store.dependentsOf(uid)) {
      const obj = this.res.store.get(dep.resourceKey, dep.namespace || undefined, dep.name);
      if (!obj) continue;
      const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const meta: ObjectMeta = { ...obj.metadata, ownerReferences: refs };
      if (refs.length === 0) delete meta.ownerReferences;
      this.res.store.put(dep.resourceKey, { ...obj, metadata: meta });
    }
  }

  /** Deletes (background) every dependent of `owner`, soon; `foreground` keeps the owner until they are gone. */
  private collectDependents(owner: KubeObject, foreground: boolean): void {
    const uid = owner.metadata.uid ?? '';
    if (foreground) this.pendingOwners.add(uid);
    setImmediate(() => {
      if (this.stopped) return;
      const deps = this.res.store.dependentsOf(uid);
      for (const dep of deps) {
        const obj = this.res.store.get(dep.resourceKey, dep.namespace || undefined, dep.name);
        const rt = this.res.registry.byResourceKey(dep.resourceKey);
        if (!obj || !rt) continue;
        const solidOwners = (obj.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== uid && this.ownerExists(obj, r),
        );
        try {
          if (solidOwners.length > 0) {
            const meta = {
              ...obj.metadata,
              ownerReferences: (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid),
            };
            this.res.store.put(dep.resourceKey, { ...obj, metadata: meta });
          } else if (obj.metadata.deletionTimestamp === undefined) {
            this.delete(rt, rt.storageVersion, obj.metadata.namespace, obj.metadata.name ?? '', {
              propagationPolicy: 'Background',
              gracePeriodSeconds: dep.resourceKey === '/pods' ? undefined : 0,
            });
          }
        } catch {
          // Gone or changed meanwhile: the next event retries.
        }
      }
      if (foreground) this.checkForegroundOwner(owner);
    });
  }

  private ownerExists(
    dependent: KubeObject,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ): boolean {
    const rt = this.ownerType(ref);
    if (!rt) return false;
    const obj = this.res.store.get(
      this.res.key(rt),
      rt.namespaced ? dependent.metadata.namespace : undefined,
      ref.name,
    );
    return obj?.metadata.uid === ref.uid;
  }

  private checkForegroundOwner(owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    if (this.res.store.dependentsOf(uid).length > 0) return;
    this.pendingOwners.delete(uid);
    const rt = this.ownerTypeOf(owner);
    if (!rt) return;
    const current = this.res.store.get(this.res.key(rt), owner.metadata.namespace, owner.metadata.name ?? '');
    if (!current || current.metadata.uid !== uid || !(current.metadata.finalizers ?? []).includes(FOREGROUND)) return;
    const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND && f !== ORPHAN);
    const meta: ObjectMeta = { ...current.metadata, finalizers };
    if (finalizers.length === 0) {
      delete meta.finalizers;
      this.remove(rt, { ...current, metadata: meta });
    } else this.res.store.put(this.res.key(rt), { ...current, metadata: meta });
  }

  private ownerTypeOf(obj: KubeObject): ResourceType | undefined {
    return this.ownerType({ apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '' });
  }

  private onEvent(e: StoreEvent): void {
    if (e.type !== 'DELETED' || this.stopped) return;
    for (const ref of e.object.metadata.ownerReferences ?? []) {
      if (this.pendingOwners.has(ref.uid)) {
        const rt = this.ownerType(ref);
        const owner = rt
          ? this.res.store.get(this.res.key(rt), rt.namespaced ? e.object.metadata.namespace : undefined, ref.name)
          : undefined;
        if (owner) setImmediate(() => this.checkForegroundOwner(owner));
      }
    }
    const ns = e.object.metadata.namespace;
    if (ns !== undefined && this.terminating.has(ns)) this.scheduleSweep();
  }

  private terminateNamespace(rt: ResourceType, version: string, ns: KubeObject): DeleteResult {
    const name = ns.metadata.name ?? '';
    let current = ns;
    if (ns.metadata.deletionTimestamp === undefined) {
      const status: JsonObject = { ...(isObject(ns['status']) ? ns['status'] : {}), phase: 'Terminating' };
      current = this.res.store.put(this.res.key(rt), {
        ...ns,
        metadata: { ...ns.metadata, deletionTimestamp: nowTime(), deletionGracePeriodSeconds: 0 },
        status,
      });
    }
    this.terminating.add(name);
    this.scheduleSweep();
    return { object: this.res.present(rt, version, current), removed: false };
  }

  private scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    setImmediate(() => {
      this.sweepScheduled = false;
      if (!this.stopped) this.sweepNamespaces();
    });
  }

  /** Deletes the contents of terminating namespaces; removes a namespace once it is empty. */
  private sweepNamespaces(): void {
    for (const ns of [...this.terminating]) {
      let remaining = 0;
      for (const rt of this.res.registry.all()) {
        if (!rt.namespaced) continue;
        for (const obj of this.res.store.list(this.res.key(rt), ns)) {
          remaining++;
          if (obj.metadata.deletionTimestamp !== undefined) continue;
          try {
            this.delete(rt, rt.storageVersion, ns, obj.metadata.name ?? '', {
              propagationPolicy: 'Background',
              gracePeriodSeconds: 0,
            });
          } catch {
            // Already gone.
          }
        }
      }
      if (remaining > 0) continue;
      this.terminating.delete(ns);
      const nsRt = this.res.registry.byResourceKey(NAMESPACE_KEY);
      const obj = this.res.store.get(NAMESPACE_KEY, undefined, ns);
      if (!nsRt || !obj) continue;
      const spec = isObject(obj['spec']) ? { ...obj['spec'], finalizers: [] } : {};
      this.remove(nsRt, { ...obj, spec });
    }
  }

  /** CRD deletion removes every object of its resource and stops serving it. */
  private dropCustomResources(crd: KubeObject): void {
    const spec = isObject(crd['spec']) ? crd['spec'] : {};
    const names = isObject(spec['names']) ? spec['names'] : {};
    const key = `${String(spec['group'])}/${String(names['plural'])}`;
    for (const obj of this.res.store.list(key))
      this.res.store.remove(key, obj.metadata.namespace, obj.metadata.name ?? '');
  }

  private unserve(crd: KubeObject): void {
    const spec = isObject(crd['spec']) ? crd['spec'] : {};
    const names = isObject(spec['names']) ? spec['names'] : {};
    this.res.registry.remove(String(spec['group']), String(names['plural']));
  }
}
