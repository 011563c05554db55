/**
 * Validates a rendered object against the Kubernetes OpenAPI schemas compiled into
 * kubernetes-models (types, required fields, formats, enums). Kinds outside it (the Prometheus
 * Operator's ServiceMonitor) get a structural check of the fields the chart sets.
 */
import type { Manifest } from './helm.js';

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

function modulePath(apiVersion: string, kind: string): string {
  return apiVersion === 'v1' ? `kubernetes-models/v1/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
}

function checkServiceMonitor(m: Manifest): string | undefined {
  const spec = m['spec'] as
    { selector?: { matchLabels?: unknown }; endpoints?: { port?: unknown; interval?: unknown }[] } | undefined;
  if (!spec?.selector?.matchLabels) return 'spec.selector.matchLabels is required';
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) return 'spec.endpoints must be a non-empty list';
  for (const e of spec.endpoints)
    if (typeof e.port !== 'string') return 'spec.endpoints[].port must name a Service port';
  return undefined;
}

/** undefined when valid; otherwise "<Kind>/<name>: <problem>". */
export async function validateManifest(m: Manifest): Promise<string | undefined> {
  const id = `${m.kind}/${m.metadata.name}`;
  if (m.apiVersion === 'monitoring.coreos.com/v1' && m.kind === 'ServiceMonitor') {
    const problem = checkServiceMonitor(m);
    return problem === undefined ? undefined : `${id}: ${problem}`;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modulePath(m.apiVersion, m.kind))) as Record<string, unknown>;
  } catch {
    return `${id}: no schema for ${m.apiVersion} ${m.kind}`;
  }
  const Cls = mod[m.kind] as ModelClass | undefined;
  if (typeof Cls !== 'function') return `${id}: no model class ${m.kind}`;
  try {
    new Cls(m).validate();
    return undefined;
  } catch (error) {
    return `${id}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
