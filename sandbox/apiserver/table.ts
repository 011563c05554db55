/**
 * Server-side printing: `meta.k8s.io/v1 Table` responses with the columns kubectl shows — CRD
 * `additionalPrinterColumns` evaluated by simple JSONPath, sensible defaults for built-ins.
 */
import type { JsonObject, KubeObject, PrinterColumn, ResourceType } from './types.js';
import { isObject } from './types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (obj: KubeObject, now: number) => unknown;
}

/** Kubernetes' HumanDuration ("5m", "3h2m", "12d"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

/**
 * The steps of a JSONPath as kubectl's parser reads them: `.name` (a backslash escapes the next
 * character, so `.metadata.labels.flotilla\\.io/shard` is one step `flotilla.io/shard`), `[n]`,
 * `[*]`, `['quoted']` / `["quoted"]`.
 */
export function jsonPathTokens(path: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      let name = '';
      i++;
      while (i < path.length && path[i] !== '.' && path[i] !== '[') {
        if (path[i] === '\\' && i + 1 < path.length) i++;
        name += path[i];
        i++;
      }
      if (name !== '') tokens.push(name);
    } else if (c === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) break;
      const inner = path.slice(i + 1, end).trim();
      const quoted = inner.match(/^(['"])(.*)\1$/);
      tokens.push(quoted ? (quoted[2] ?? '') : inner);
      i = end + 1;
    } else i++;
  }
  return tokens;
}

/** Evaluates `.a.b[0].c`, `.metadata.labels['x/y']`, `.metadata.labels.x\\.y/z`, `{.a[*].b}`; arrays from `[*]` join with ','. */
export function evalJsonPath(obj: unknown, path: string): unknown {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  const tokens = jsonPathTokens(p);
  let current: unknown[] = [obj];
  let multi = false;
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const c of current) {
      if (t === '*') {
        multi = true;
        if (Array.isArray(c)) next.push(...c);
        else if (isObject(c)) next.push(...Object.values(c));
      } else if (Array.isArray(c) && /^\d+$/.test(t)) {
        if (c[Number(t)] !== undefined) next.push(c[Number(t)]);
      } else if (isObject(c) && c[t] !== undefined) next.push(c[t]);
    }
    current = next;
  }
  if (multi)
    return current.length === 0
      ? undefined
      : current.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  return current[0];
}

function col(name: string, type: string, cell: Column['cell'], extra: Partial<Column> = {}): Column {
  return { name, type, format: '', description: '', priority: 0, cell, ...extra };
}

const nameColumn = col('Name', 'string', (o) => o.metadata.name ?? '', {
  format: 'name',
  description: 'Name must be unique within a namespace.',
});
const ageColumn = col('Age', 'string', (o, now) => age(o.metadata.creationTimestamp, now), {
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
});

function arr(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function podStatus(o: KubeObject): string {
  const status = isObject(o['status']) ? o['status'] : {};
  let reason =
    typeof status['reason'] === 'string'
      ? status['reason']
      : typeof status['phase'] === 'string'
        ? status['phase']
        : 'Pending';
  for (const cs of arr(status['containerStatuses'])) {
    const state = isObject(cs['state']) ? cs['state'] : {};
    const waiting = isObject(state['waiting']) ? state['waiting'] : undefined;
    const terminated = isObject(state['terminated']) ? state['terminated'] : undefined;
    if (waiting && typeof waiting['reason'] === 'string' && waiting['reason'] !== '') reason = waiting['reason'];
    else if (terminated && typeof terminated['reason'] === 'string' && terminated['reason'] !== '')
      reason = terminated['reason'];
    else if (terminated) reason = `ExitCode:${String(terminated['exitCode'] ?? 0)}`;
  }
  // A failed pod with a pod-level reason (Evicted, DeadlineExceeded) shows it, as kubectl users see it.
  if (status['phase'] === 'Failed' && typeof status['reason'] === 'string' && status['reason'] !== '')
    reason = status['reason'];
  if (o.metadata.deletionTimestamp !== undefined && status['phase'] !== 'Failed' && status['phase'] !== 'Succeeded')
    reason = status['reason'] === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podColumns(): Column[] {
  return [
    nameColumn,
    col(
      'Ready',
      'string',
      (o) => {
        const spec = isObject(o['spec']) ? o['spec'] : {};
        const status = isObject(o['status']) ? o['status'] : {};
        const total = arr(spec['containers']).length;
        const ready = arr(status['containerStatuses']).filter((c) => c['ready'] === true).length;
        return `${ready}/${total}`;
      },
      { description: 'The aggregate readiness state of this pod for accepting traffic.' },
    ),
    col('Status', 'string', podStatus, { description: 'The aggregate status of the containers in this pod.' }),
    col(
      'Restarts',
      'string',
      (o) => {
        const status = isObject(o['status']) ? o['status'] : {};
        return String(
          arr(status['containerStatuses']).reduce(
            (n, c) => n + (typeof c['restartCount'] === 'number' ? c['restartCount'] : 0),
            0,
          ),
        );
      },
      { description: 'The number of times the containers in this pod have been restarted.' },
    ),
    ageColumn,
    col('IP', 'string', (o) => evalJsonPath(o, '.status.podIP') ?? '<none>', { priority: 1 }),
    col('Node', 'string', (o) => evalJsonPath(o, '.spec.nodeName') ?? '<none>', { priority: 1 }),
    col('Nominated Node', 'string', (o) => evalJsonPath(o, '.status.nominatedNodeName') ?? '<none>', { priority: 1 }),
    col('Readiness Gates', 'string', () => '<none>', { priority: 1 }),
  ];
}

function eventColumns(): Column[] {
  const lastSeen = (o: KubeObject, now: number): string => {
    const series = isObject(o['series']) ? o['series']['lastObservedTime'] : undefined;
    return age(o['lastTimestamp'] ?? series ?? o['eventTime'] ?? o.metadata.creationTimestamp, now);
  };
  return [
    col('Last Seen', 'string', lastSeen),
    col('Type', 'string', (o) => o['type'] ?? ''),
    col('Reason', 'string', (o) => o['reason'] ?? ''),
    col(
      'Object',
      'string',
      (o) =>
        `${String(evalJsonPath(o, '.involvedObject.kind') ?? '').toLowerCase()}/${String(evalJsonPath(o, '.involvedObject.name') ?? '')}`,
    ),
    col('Subobject', 'string', (o) => evalJsonPath(o, '.involvedObject.fieldPath') ?? '', { priority: 1 }),
    col('Source', 'string', (o) => evalJsonPath(o, '.source.component') ?? o['reportingComponent'] ?? '', {
      priority: 1,
    }),
    col('Message', 'string', (o) => o['message'] ?? ''),
    col(
      'First Seen',
      'string',
      (o, now) => age(o['firstTimestamp'] ?? o['eventTime'] ?? o.metadata.creationTimestamp, now),
      { priority: 1 },
    ),
    col('Count', 'string', (o) => String(o['count'] ?? 1), { priority: 1 }),
    col('Name', 'string', (o) => o.metadata.name ?? '', { priority: 1, format: 'name' }),
  ];
}

function builtinColumns(rt: ResourceType): Column[] {
  switch (`${rt.group}/${rt.plural}`) {
    case '/pods':
      return podColumns();
    case '/events':
      return eventColumns();
    case '/namespaces':
      return [nameColumn, col('Status', 'string', (o) => evalJsonPath(o, '.status.phase') ?? 'Active'), ageColumn];
    case '/configmaps':
      return [
        nameColumn,
        col(
          'Data',
          'integer',
          (o) =>
            (isObject(o['data']) ? Object.keys(o['data']).length : 0) +
            (isObject(o['binaryData']) ? Object.keys(o['binaryData']).length : 0),
        ),
        ageColumn,
      ];
    case '/secrets':
      return [
        nameColumn,
        col('Type', 'string', (o) => o['type'] ?? 'Opaque'),
        col('Data', 'integer', (o) => (isObject(o['data']) ? Object.keys(o['data']).length : 0)),
        ageColumn,
      ];
    case '/serviceaccounts':
      return [nameColumn, col('Secrets', 'integer', (o) => arr(o['secrets']).length), ageColumn];
    case '/nodes':
      return [
        nameColumn,
        col('Status', 'string', (o) =>
          arr(evalJsonPath(o, '.status.conditions')).find((c) => c['type'] === 'Ready')?.['status'] === 'True'
            ? 'Ready'
            : 'NotReady',
        ),
        col('Roles', 'string', () => '<none>'),
        ageColumn,
        col('Version', 'string', (o) => evalJsonPath(o, '.status.nodeInfo.kubeletVersion') ?? ''),
      ];
    case 'coordination.k8s.io/leases':
      return [nameColumn, col('Holder', 'string', (o) => evalJsonPath(o, '.spec.holderIdentity') ?? ''), ageColumn];
    case 'apiextensions.k8s.io/customresourcedefinitions':
      return [nameColumn, col('Created At', 'date', (o) => o.metadata.creationTimestamp ?? '')];
    case 'admissionregistration.k8s.io/mutatingwebhookconfigurations':
    case 'admissionregistration.k8s.io/validatingwebhookconfigurations':
      return [nameColumn, col('Webhooks', 'integer', (o) => arr(o['webhooks']).length), ageColumn];
    default:
      return [nameColumn, ageColumn];
  }
}

function printerColumn(pc: PrinterColumn): Column {
  return col(
    pc.name,
    pc.type,
    (o, now) => {
      const v = evalJsonPath(o, pc.jsonPath);
      if (v === undefined || v === null) return null;
      if (pc.type === 'date') return age(v, now);
      if (typeof v === 'object') return JSON.stringify(v);
      return v;
    },
    { priority: pc.priority ?? 0, format: pc.format ?? '', description: pc.description ?? '' },
  );
}

export function columnsFor(rt: ResourceType, version: string): Column[] {
  if (!rt.custom) return builtinColumns(rt);
  const pcs = rt.printerColumns?.[version] ?? [];
  const cols = [nameColumn, ...pcs.map(printerColumn)];
  const hasAge = pcs.some((p) => p.name.toLowerCase() === 'age' || p.jsonPath.trim() === '.metadata.creationTimestamp');
  if (!hasAge) cols.push(ageColumn);
  return cols;
}

function rowObject(obj: KubeObject, include: IncludeObject): JsonObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export interface TableOptions {
  rt: ResourceType;
  version: string;
  objects: readonly KubeObject[];
  include: IncludeObject;
  /** List metadata (resourceVersion, continue, remainingItemCount). */
  listMeta: JsonObject;
  /** Omit column definitions (watch events after the first). @defaultValue false */
  noHeaders?: boolean;
}

export function toTable(options: TableOptions): JsonObject {
  const columns = columnsFor(options.rt, options.version);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMeta,
    columnDefinitions: options.noHeaders
      ? []
      : columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format,
          description: c.description,
          priority: c.priority,
        })),
    rows: options.objects.map((o) => {
      const row: JsonObject = { cells: columns.map((c) => c.cell(o, now) ?? null) };
      const object = rowObject(o, options.include);
      if (object) row['object'] = object;
      return row;
    }),
  };
}
