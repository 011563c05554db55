/**
 * ResourceQuota admission for pods, answering as the real kube-apiserver does: 403 Forbidden with
 * `pods "NAME" is forbidden: exceeded quota: QNAME, requested: …, used: …, limited: …`, or
 * `failed quota: QNAME: must specify …` for a pod that leaves a constrained resource unset.
 *
 * Counted resources: `pods` and `count/pods`, `requests.cpu` (= `cpu`), `requests.memory`
 * (= `memory`), `limits.cpu`, `limits.memory`. Usage is computed from the stored pods that are not
 * terminal (Succeeded and Failed pods, and pods being deleted, free their quota), so it is never stale; `status.used` is
 * written after pod writes for `kubectl describe quota`. Quota scopes and other resources are not
 * evaluated.
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
      throw badRequest(`ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
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

/** Usage of every constrained resource of `quota` by the namespace's live pods (`except` left out). */
function usedBy(store: Store, namespace: string, hard: Record<string, Quantity>, except?: string): Record<string, Quantity> {
  const pods = store.list(POD_KEY, namespace).filter((p) => !terminal(p) && p.metadata.name !== except);
  const used: Record<string, Quantity> = {};
  for (const [resource, limit] of Object.entries(hard)) {
    if (!POD_RESOURCES[resource]) continue;
    const values = pods.map((p) => podUsage(p, resource)?.value).filter((q): q is Quantity => q !== undefined);
    used[resource] = { nano: addQuantities(values).nano, format: limit.format };
  }
  return used;
}

const list = (entries: Array<[string, Quantity]>): string => entries.map(([name, q]) => `${name}=${formatQuantity(q.nano, q.format)}`).join(',');

/** Refuses (403) a pod create that a quota of its namespace does not allow. */
export function admitPod(store: Store, pod: KubeObject): void {
  const status = isObject(pod['status']) ? pod['status'] : {};
  if (status['phase'] === 'Succeeded' || status['phase'] === 'Failed') return;
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const quotas = store.list(QUOTA_KEY, namespace).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const forbidden = (message: string): ApiError => new ApiError(403, 'Forbidden', `pods "${name}" is forbidden: ${message}`, { name, kind: 'pods' });
  for (const quota of quotas) {
    const hard = hardOf(quota);
    const constrained = Object.keys(hard).filter((r) => POD_RESOURCES[r] !== undefined).sort();
    const missing = constrained.map((r) => [r, podUsage(pod, r)?.missing ?? []] as const).filter(([, m]) => m.length > 0);
    if (missing.length > 0) throw forbidden(`failed quota: ${quota.metadata.name ?? ''}: must specify ${missing.map(([r, m]) => `${r} for: ${m.join(',')}`).join('; ')}`);
  }
  for (const quota of quotas) {
    const hard = hardOf(quota);
    const used = usedBy(store, namespace, hard, name);
    const exceeded: string[] = [];
    for (const resource of Object.keys(used).sort()) {
      const requested = podUsage(pod, resource)?.value;
      const limit = hard[resource];
      const current = used[resource];
      if (requested === undefined || limit === undefined || current === undefined || requested.nano === 0n) continue;
      if (current.nano + requested.nano > limit.nano) exceeded.push(resource);
    }
    if (exceeded.length === 0) continue;
    const pick = (source: Record<string, Quantity | undefined>): Array<[string, Quantity]> => exceeded.map((r) => [r, source[r] ?? ONE]);
    const requested = Object.fromEntries(exceeded.map((r) => [r, podUsage(pod, r)?.value]));
    throw forbidden(`exceeded quota: ${quota.metadata.name ?? ''}, requested: ${list(pick(requested))}, used: ${list(pick(used))}, limited: ${list(pick(hard))}`);
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

/** Rewrites the `status.used` of `namespace`'s quotas that changed (after a pod write). */
export function refreshQuotas(store: Store, namespace: string): void {
  for (const quota of store.list(QUOTA_KEY, namespace)) {
    const status = quotaStatus(store, quota);
    if (JSON.stringify(status) === JSON.stringify(quota['status'])) continue;
    store.put(QUOTA_KEY, { ...quota, metadata: { ...quota.metadata }, status });
  }
}
