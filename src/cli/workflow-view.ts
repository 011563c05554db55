/**
 * How the cluster-side `flotilla` commands show Workflows: the list columns (NAME PHASE PROGRESS
 * SHARD AGE MESSAGE), one workflow with a tree of its node phases, `-o name` names, and the
 * one-line progress of `submit --wait` and `watch`. Pure: objects and the time in, text out.
 */
import type { Workflow } from '../api/workflow.js';
import type { WorkflowNodeStatus } from '../api/status.js';
import { age, asList, renderData, renderTable, type Column, type OutputFormat } from './output.js';

/** What `-o name` prints for a Workflow, as kubectl names custom resources. */
export const workflowName = (wf: Pick<Workflow, 'metadata'>): string => `workflow.flotilla.io/${wf.metadata.name}`;

export const phaseOf = (wf: Workflow): string => wf.status?.phase ?? 'Pending';

function duration(wf: Workflow, nowMs: number): string {
  const started = wf.status?.startedAt;
  if (started === undefined) return '-';
  const end = wf.status?.finishedAt !== undefined ? Date.parse(wf.status.finishedAt) : nowMs;
  return age(started, end);
}

export function workflowColumns(options: { allNamespaces: boolean; nowMs: number }): Column<Workflow>[] {
  return [
    ...(options.allNamespaces ? [{ header: 'namespace', value: (wf: Workflow) => wf.metadata.namespace }] : []),
    { header: 'name', value: (wf) => wf.metadata.name },
    { header: 'phase', value: phaseOf },
    { header: 'progress', value: (wf) => wf.status?.progress ?? '-' },
    { header: 'shard', value: (wf) => wf.status?.shard ?? wf.metadata.labels?.['flotilla.io/shard'] ?? '-' },
    { header: 'age', value: (wf) => age(wf.metadata.creationTimestamp, options.nowMs) },
    { header: 'duration', value: (wf) => duration(wf, options.nowMs), wide: true },
    { header: 'nodes', value: (wf) => String(Object.keys(wf.status?.nodes ?? {}).length), wide: true },
    { header: 'message', value: (wf) => wf.status?.message ?? '' },
  ];
}

export interface RenderOptions {
  format: OutputFormat;
  headers: boolean;
  allNamespaces?: boolean;
  nowMs?: number;
}

/** A list of Workflows in any output format. */
export function renderWorkflows(items: readonly Workflow[], options: RenderOptions): string {
  switch (options.format) {
    case 'json':
    case 'yaml':
      return renderData(asList(items), options.format);
    case 'name':
      return items.map((wf) => `${workflowName(wf)}\n`).join('');
    case 'table':
    case 'wide':
      return renderTable(
        workflowColumns({ allNamespaces: options.allNamespaces === true, nowMs: options.nowMs ?? Date.now() }),
        items,
        {
          wide: options.format === 'wide',
          headers: options.headers,
        },
      );
  }
}

interface TreeRow {
  readonly label: string;
  readonly node: WorkflowNodeStatus;
}

/** The nodes as a tree by path (`sub/load` under `sub`), in the order the status lists them. */
export function nodeTree(nodes: Readonly<Record<string, WorkflowNodeStatus>>): TreeRow[] {
  const paths = Object.keys(nodes);
  const parentOf = (path: string): string | undefined => {
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      const candidate = path.slice(0, cut);
      if (nodes[candidate] !== undefined) return candidate;
    }
    return undefined;
  };
  const children = new Map<string | undefined, string[]>();
  for (const path of paths) {
    const parent = parentOf(path);
    children.set(parent, [...(children.get(parent) ?? []), path]);
  }
  const rows: TreeRow[] = [];
  const walk = (parent: string | undefined, prefix: string): void => {
    const kids = children.get(parent) ?? [];
    kids.forEach((path, index) => {
      const last = index === kids.length - 1;
      const node = nodes[path];
      if (node === undefined) return;
      const name = parent === undefined ? path : path.slice(parent.length + 1);
      rows.push({ label: `${prefix}${last ? '└─ ' : '├─ '}${name}`, node });
      walk(path, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(undefined, '');
  return rows;
}

const nodeColumns = (nowMs: number): Column<TreeRow>[] => [
  { header: 'node', value: (r) => r.label },
  {
    header: 'phase',
    value: (r) =>
      r.node.phase + (r.node.array ? ` ${r.node.array.succeeded + r.node.array.failed}/${r.node.array.size}` : ''),
  },
  { header: 'kind', value: (r) => r.node.kind ?? '-' },
  { header: 'attempts', value: (r) => (r.node.attempts === undefined ? '-' : String(r.node.attempts)) },
  { header: 'age', value: (r) => (r.node.startedAt === undefined ? '-' : age(r.node.startedAt, nowMs)) },
  { header: 'message', value: (r) => r.node.message ?? r.node.lastFailure?.message ?? '' },
];

/** One Workflow: its fields, then the tree of node phases (table/wide); else as the format says. */
export function renderWorkflow(wf: Workflow, options: RenderOptions): string {
  switch (options.format) {
    case 'json':
    case 'yaml':
      return renderData(wf, options.format);
    case 'name':
      return `${workflowName(wf)}\n`;
    case 'table':
    case 'wide': {
      const nowMs = options.nowMs ?? Date.now();
      const status = wf.status;
      const fields: [string, string][] = [
        ['Name', wf.metadata.name],
        ['Namespace', wf.metadata.namespace],
        ['Phase', phaseOf(wf)],
        ['Progress', status?.progress ?? '-'],
        ['Shard', status?.shard ?? wf.metadata.labels?.['flotilla.io/shard'] ?? '-'],
        ['Created', `${wf.metadata.creationTimestamp ?? '-'} (${age(wf.metadata.creationTimestamp, nowMs)} ago)`],
        ['Duration', duration(wf, nowMs)],
        ...(status?.message ? [['Message', status.message] as [string, string]] : []),
      ];
      const width = Math.max(...fields.map(([k]) => k.length)) + 1;
      const head = fields.map(([k, v]) => `${`${k}:`.padEnd(width)}   ${v}\n`).join('');
      const tree = renderTable(nodeColumns(nowMs), nodeTree(status?.nodes ?? {}), {
        wide: options.format === 'wide',
        headers: options.headers,
      });
      return tree === '' ? head : `${head}\n${tree}`;
    }
  }
}

/** `hello: Running 2/3 (12s)`: the line `submit --wait` and `watch` keep current. */
export function progressLine(wf: Workflow, nowMs: number = Date.now()): string {
  const since = wf.status?.startedAt ?? wf.metadata.creationTimestamp;
  const message = wf.status?.message ? `: ${wf.status.message}` : '';
  return `${wf.metadata.namespace}/${wf.metadata.name}: ${phaseOf(wf)} ${wf.status?.progress ?? '-'} (${age(since, nowMs)})${message}`;
}
