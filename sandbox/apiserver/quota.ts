/**
 * ResourceQuota admission on create, answering as the real kube-apiserver does: 403 Forbidden with
 * `<resource> "NAME" is forbidden: exceeded quota: QNAME, requested: …, used: …, limited: …`, or
 * `failed quota: QNAME: must specify …` for a pod that leaves a constrained resource unset.
 *
 * Counted resources: object counts (`count/<resource>` for the core group,
 * `count/<resource>.<group>` otherwise, custom resources included, and the classic `pods`,
 * `configmaps`, `secrets`, `services`, `persistentvolumeclaims`, `replicationcontrollers`,
 * `resourcequotas`), and for pods `requests.cpu` (= `cpu`), `requests.memory` (= `memory`),
 * `limits.cpu`, `limits.memory`. Usage is computed from the store (pods that are Succeeded, Failed
 * or being deleted free their quota), so it is never stale; `status.used` is written after writes
 * that change it, for `kubectl describe quota`. Quota scopes and other resources are not evaluated.
 */
import { addQuantities, formatQuantity, parseQuantity, type Quantity } from '../../src/api/quantity.js';
import { ApiError, badRequest } from './errors.js';
import { containersOf, quantitiesOf } from './pods.js';
import { resourceKeyOf, type Store } from './store.js';
import type { JsonObject, KubeObject } from './types.js';
import { isObject } from './types.js';

export const QUOTA_KEY = resourceKeyOf('', 'resourcequotas');
export const POD_KEY = resourceKeyOf('', 'pods');

/** What each constrained resource reads from a pod. */
const POD_RESOURCES: Readonly<Record<string, { kind: 'count' } | { kind: 'requests' | 'limits'; resource: string }>> = {
  pods: { kind: 'count' },
  'count/pods': { kind: 'count' },
  cpu: { kind: 'requests', resource: 'cpu' },
  'requests.cpu': { kind: 'requests', resource: 'cpu' },
  memory: { kind: 'requests', resource: 'memory' },
  'requests.memory': { kind: 'requests', resource: 'memory' },
  'limits.cpu': { kind: 'limits', resource: 'cpu' },
  'limits.memory': { kind: 'limits', resource: 'memory' },
};

const ONE: Quantity = { nano: 1_000_000_000n, format: 'DecimalSI' };

function hardOf(quota: KubeObject): Record<string, Quantity> {
  const spec = isObject(quota['spec']) ? quota['spec'] : {};
  const hard = isObject(spec['hard']) ? spec['hard'] : {};
  const out: Record<string, Quantity> = {};
  for (const [name, value] of Object.entries(hard)) {
    const q = parseQuantity(String(value));
    if (q !== undefined) out[name] = q;
  }
  return out;
}

/** Decoding a ResourceQuota: every `spec.hard` value must be a quantity (400 otherwise). */
export function decodeQuota(quota: KubeObject): void {
  const spec = isObject(quota['spec']) ? quota['spec'] : {};
  const hard = isObject(spec['hard']) ? spec['hard'] : {};
  for (const value of Object.values(hard)) {
    if ((typeof value !== 'string' && typeof value !== 'number') || parseQuantity(String(value)) === undefined) {
      throw badRequest(
        `ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      );
    }
  }
}

/** What `pod` uses of `resource`, or undefined when a container leaves it unset. */
function podUsage(pod: KubeObject | JsonObject, resource: string): { value: Quantity; missing: string[] } | undefined {
  const how = POD_RESOURCES[resource];
  if (!how) return undefined;
  if (how.kind === 'count') return { value: ONE, missing: [] };
  const values: Quantity[] = [];
  const missing: string[] = [];
  for (const container of containersOf(pod)) {
    const q = quantitiesOf(container, how.kind)[how.resource];
    if (q === undefined) missing.push(String(container['name'] ?? ''));
    else values.push(q);
  }
  return { value: addQuantities(values), missing };
}

/** Pods that no longer count: finished, or being deleted (the real quota stops counting them too). */
function terminal(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp !== undefined) return true;
  const status = isObject(pod['status']) ? pod['status'] : {};
  return status['phase'] === 'Succeeded' || status['phase'] === 'Failed';
}

/** The classic object counts (`configmaps`, ...) and the store key of what they count. */
const CLASSIC_COUNTS: Readonly<Record<string, string>> = {
  pods: POD_KEY,
  configmaps: resourceKeyOf('', 'configmaps'),
  secrets: resourceKeyOf('', 'secrets'),
  services: resourceKeyOf('', 'services'),
  persistentvolumeclaims: resourceKeyOf('', 'persistentvolumeclaims'),
  replicationcontrollers: resourceKeyOf('', 'replicationcontrollers'),
  resourcequotas: QUOTA_KEY,
};

/** The store key of the objects a quota resource counts: `configmaps`, `count/<resource>[.<group>]`. */
export function countedKey(resource: string): string | undefined {
  const classic = CLASSIC_COUNTS[resource];
  if (classic !== undefined) return classic;
  if (!resource.startsWith('count/')) return undefined;
  const rest = resource.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? resourceKeyOf('', rest) : resourceKeyOf(rest.slice(dot + 1), rest.slice(0, dot));
}

/** What one object (stored under `key`) uses of `resource`, or undefined when it is not counted there. */
function usageOf(
  key: string,
  obj: KubeObject | JsonObject,
  resource: string,
): { value: Quantity; missing: string[] } | undefined {
  const counted = countedKey(resource);
  if (counted !== undefined) return counted === key ? { value: ONE, missing: [] } : undefined;
  return key === POD_KEY ? podUsage(obj, resource) : undefined;
}

/** Objects of `key` in `namespace` that count against quotas (live pods; every other object). */
function counting(store: Store, key: string, namespace: string, except?: string): KubeObject[] {
  return store.list(key, namespace).filter((o) => o.metadata.name !== except && !(key === POD_KEY && terminal(o)));
}

/** Usage of every constrained resource of `quota` in the namespace (`except`, of kind `exceptKey`, left out). */
function usedBy(
  store: Store,
  namespace: string,
  hard: Record<string, Quantity>,
  except?: { key: string; name: string },
): Record<string, Quantity> {
  const used: Record<string, Quantity> = {};
  for (const [resource, limit] of Object.entries(hard)) {
    const key = countedKey(resource) ?? (POD_RESOURCES[resource] ? POD_KEY : undefined);
    if (key === undefined) continue;
    const objects = counting(store, key, namespace, except?.key === key ? except.name : undefined);
    const values = objects.map((o) => usageOf(key, o, resource)?.value).filter((q): q is Quantity => q !== undefined);
    used[resource] = { nano: addQuantities(values).nano, format: limit.format };
  }
  return used;
}

const list = (entries: Array<[string, Quantity]>): string =>
  entries.map(([name, q]) => `${name}=${formatQuantity(q.nano, q.format)}`).join(',');

/** The resource as the real server names it in a Forbidden message: `configmaps`, `workflows.flotilla.io`. */
const qualified = (group: string, plural: string): string => (group === '' ? plural : `${plural}.${group}`);

/**
 * Refuses (403) a create that a quota of its namespace does not allow: the pod's compute resources
 * and every object count (`pods`, `configmaps`, `count/<resource>.<group>`, ...).
 */
export function admitCreate(store: Store, group: string, plural: string, obj: KubeObject): void {
  const key = resourceKeyOf(group, plural);
  const status = isObject(obj['status']) ? obj['status'] : {};
  if (key === POD_KEY && (status['phase'] === 'Succeeded' || status['phase'] === 'Failed')) return;
  const namespace = obj.metadata.namespace ?? '';
  if (namespace === '') return;
  const name = obj.metadata.name ?? '';
  const quotas = store
    .list(QUOTA_KEY, namespace)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const forbidden = (message: string): ApiError =>
    new ApiError(403, 'Forbidden', `${qualified(group, plural)} "${name}" is forbidden: ${message}`, {
      name,
      group,
      kind: plural,
    });
  for (const quota of quotas) {
    const hard = hardOf(quota);
    const constrained = Object.keys(hard)
      .filter((r) => key === POD_KEY && POD_RESOURCES[r] !== undefined)
      .sort();
    const missing = constrained
      .map((r) => [r, podUsage(obj, r)?.missing ?? []] as const)
      .filter(([, m]) => m.length > 0);
    if (missing.length > 0)
      throw forbidden(
        `failed quota: ${quota.metadata.name ?? ''}: must specify ${missing.map(([r, m]) => `${r} for: ${m.join(',')}`).join('; ')}`,
      );
  }
  for (const quota of quotas) {
    const hard = hardOf(quota);
    const relevant = Object.fromEntries(Object.entries(hard).filter(([r]) => usageOf(key, obj, r) !== undefined));
    const used = usedBy(store, namespace, relevant, { key, name });
    const exceeded: string[] = [];
    for (const resource of Object.keys(used).sort()) {
      const requested = usageOf(key, obj, resource)?.value;
      const limit = hard[resource];
      const current = used[resource];
      if (requested === undefined || limit === undefined || current === undefined || requested.nano === 0n) continue;
      if (current.nano + requested.nano > limit.nano) exceeded.push(resource);
    }
    if (exceeded.length === 0) continue;
    const pick = (source: Record<string, Quantity | undefined>): Array<[string, Quantity]> =>
      exceeded.map((r) => [r, source[r] ?? ONE]);
    const requested = Object.fromEntries(exceeded.map((r) => [r, usageOf(key, obj, r)?.value]));
    throw forbidden(
      `exceeded quota: ${quota.metadata.name ?? ''}, requested: ${list(pick(requested))}, used: ${list(pick(used))}, limited: ${list(pick(hard))}`,
    );
  }
}

/** The `status` a quota should show now (`hard` from its spec, `used` by live pods). */
export function quotaStatus(store: Store, quota: KubeObject): JsonObject {
  const hard = hardOf(quota);
  const used = usedBy(store, quota.metadata.namespace ?? '', hard);
  const spec = isObject(quota['spec']) ? quota['spec'] : {};
  return {
    hard: isObject(spec['hard']) ? { ...spec['hard'] } : {},
    used: Object.fromEntries(Object.entries(used).map(([r, q]) => [r, formatQuantity(q.nano, q.format)])),
  };
}

/** Rewrites the `status.used` of `namespace`'s quotas that changed (after a write that changes usage). */
export function refreshQuotas(store: Store, namespace: string): void {
  for (const quota of store.list(QUOTA_KEY, namespace)) {
    const status = quotaStatus(store, quota);
    if (JSON.stringify(status) === JSON.stringify(quota['status'])) continue;
    store.put(QUOTA_KEY, { ...quota, metadata: { ...quota.metadata }, status });
  }
}
