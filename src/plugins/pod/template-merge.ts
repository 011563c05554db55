/**
 * A task Pod built on a PodTemplate, by the rules FlytePropeller's pod plugins follow (flyteplugins
 * v1.16.8 `MergeWithBasePodTemplate`, written from its behaviour, not its code):
 *
 * - The template's container named `default` lies under **every** container of the task Pod, the
 *   one named `primary` under the primary container (the task's own), a template container with a
 *   task container's name under that container; the task's container wins over all of them.
 *   Template containers that match no task container are not added. Init containers likewise with
 *   `default-init` and `primary-init`.
 * - Everything else of the template's Pod spec and metadata lies under the task's: objects merge
 *   key by key (labels, annotations, nodeSelector, resources), the task's value wins where it has one
 *   (an empty string or list is "none"); lists of named items (env, volumes, volumeMounts, ports,
 *   imagePullSecrets) merge **by name** (a task entry replaces the template's of its name, the rest
 *   of the template's stay first); other lists of objects (tolerations) are the template's followed
 *   by the task's new ones; lists of strings (command, args) are the task's when it has any.
 *
 * Pure: the inputs are not changed.
 */
import type { V1Container, V1Pod, V1PodTemplate } from '@kubernetes/client-node';

/** The template container under every task container. */
export const DEFAULT_CONTAINER_TEMPLATE = 'default';
/** The template container under the primary container. */
export const PRIMARY_CONTAINER_TEMPLATE = 'primary';
export const DEFAULT_INIT_CONTAINER_TEMPLATE = 'default-init';
export const PRIMARY_INIT_CONTAINER_TEMPLATE = 'primary-init';

type Json = unknown;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function nameOf(v: unknown): string | undefined {
  return isRecord(v) && typeof v['name'] === 'string' ? v['name'] : undefined;
}

function copy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function mergeLists(under: readonly unknown[], over: readonly unknown[]): unknown[] {
  if (over.every((item) => typeof item !== 'object')) return copy([...over]);
  if (over.every((item) => nameOf(item) !== undefined) && under.every((item) => nameOf(item) !== undefined)) {
    const merged: unknown[] = under.map((item) => {
      const replacement = over.find((o) => nameOf(o) === nameOf(item));
      return replacement !== undefined ? mergeValues(item, replacement) : copy(item);
    });
    for (const item of over) if (!under.some((u) => nameOf(u) === nameOf(item))) merged.push(copy(item));
    return merged;
  }
  const seen = new Set(under.map((item) => JSON.stringify(item)));
  return [...copy([...under]), ...copy(over.filter((item) => !seen.has(JSON.stringify(item))))];
}

/** `over` on top of `under`, by the rules above. */
export function mergeValues(under: Json, over: Json): Json {
  if (isEmpty(over)) return copy(under);
  if (isEmpty(under)) return copy(over);
  if (isRecord(under) && isRecord(over)) {
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(under), ...Object.keys(over)])) {
      const value = mergeValues(under[key], over[key]);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  if (Array.isArray(under) && Array.isArray(over)) return mergeLists(under, over);
  return copy(over);
}

function mergeContainers(
  templates: readonly V1Container[],
  containers: readonly V1Container[],
  primaryName: string,
  defaultName: string,
  primaryTemplateName: string,
): V1Container[] {
  const byName = (name: string): V1Container | undefined => templates.find((c) => c.name === name);
  return containers.map((container) => {
    let base: Json = byName(defaultName);
    if (container.name === primaryName) base = mergeValues(base, byName(primaryTemplateName));
    if (container.name !== defaultName && container.name !== primaryTemplateName)
      base = mergeValues(base, byName(container.name));
    // The template's names are the magic ones; the merged container keeps the task's.
    return { ...(mergeValues(base, container) as V1Container), name: container.name };
  });
}

/**
 * The task Pod on top of `template` (a PodTemplate). `primaryContainer` names the task's own
 * container (FlytePropeller: the Pod's name; the native pod plugin: `task`).
 */
export function mergePodTemplate(template: V1PodTemplate, pod: V1Pod, primaryContainer: string): V1Pod {
  const templateSpec = template.template?.spec;
  const templateMeta = template.template?.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const merged = mergeValues(templateSpec ?? {}, spec) as NonNullable<V1Pod['spec']>;
  merged.containers = mergeContainers(
    templateSpec?.containers ?? [],
    spec.containers,
    primaryContainer,
    DEFAULT_CONTAINER_TEMPLATE,
    PRIMARY_CONTAINER_TEMPLATE,
  );
  if (spec.initContainers !== undefined && spec.initContainers.length > 0)
    merged.initContainers = mergeContainers(
      templateSpec?.initContainers ?? [],
      spec.initContainers,
      primaryContainer,
      DEFAULT_INIT_CONTAINER_TEMPLATE,
      PRIMARY_INIT_CONTAINER_TEMPLATE,
    );
  else delete merged.initContainers;
  const { labels, annotations } = templateMeta;
  const metadata = {
    ...copy(pod.metadata ?? {}),
    labels: { ...(labels ?? {}), ...(pod.metadata?.labels ?? {}) },
    annotations: { ...(annotations ?? {}), ...(pod.metadata?.annotations ?? {}) },
  };
  return { ...copy(pod), metadata, spec: merged };
}
