/**
 * The served resource types (built-ins plus those of Established CRDs), looked up by
 * group/version/plural, kind or short name. Listeners hear about every change (discovery and
 * OpenAPI caches).
 */
import { resourceKeyOf } from './store.js';
import type { ResourceType } from './types.js';

export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceType>();
  private readonly listeners: (() => void)[] = [];
  private generationCounter = 0;

  /** Increments on every change; caches compare against it. */
  get generation(): number {
    return this.generationCounter;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  add(rt: ResourceType): void {
    this.byKey.set(resourceKeyOf(rt.group, rt.plural), rt);
    this.changed();
  }

  remove(group: string, plural: string): void {
    if (this.byKey.delete(resourceKeyOf(group, plural))) this.changed();
  }

  private changed(): void {
    this.generationCounter++;
    for (const l of this.listeners) l();
  }

  /** The type served at group/version/plural, if that version is served. */
  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    const rt = this.byKey.get(resourceKeyOf(group, plural));
    return rt && rt.versions.includes(version) ? rt : undefined;
  }

  byResourceKey(resourceKey: string): ResourceType | undefined {
    return this.byKey.get(resourceKey);
  }

  /** The type whose kind is `kind` in `group` (for ownerReferences). */
  byKind(group: string, kind: string): ResourceType | undefined {
    for (const rt of this.byKey.values()) if (rt.group === group && rt.kind === kind) return rt;
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  /** Group → versions served (preferred first), groups in a stable order (core excluded). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const rt of this.byKey.values()) {
      if (rt.group === '') continue;
      const versions = out.get(rt.group) ?? [];
      for (const v of rt.versions) if (!versions.includes(v)) versions.push(v);
      out.set(rt.group, versions);
    }
    for (const [g, vs] of out) out.set(g, sortVersions(vs));
    return out;
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return [3, 0, 0];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if ((ra[i] ?? 0) !== (rb[i] ?? 0)) return (ra[i] ?? 0) - (rb[i] ?? 0);
    return a.localeCompare(b);
  });
}
