/**
 * What the console shows, as pure functions of cached objects and the time: a workflow's row in
 * the list, its graph (nodes by status path, edges from `dependsOn` and `fromNode` bindings,
 * sub-workflows and branches nested, arrays with counts by phase) and the filter of `/workflows`.
 * No client here: `cluster.ts` feeds these from informers, the server serialises their results.
 *
 * Both kinds share one shape: a FlyteWorkflow's engine status is kept under `status.flotilla.engine`
 * (src/flyte), so its node phases are read from there; its graph comes from `spec.nodes` and
 * `spec.edges.upstream`.
 */
import type { WorkflowNode, WorkflowSpec } from '../api/schema.js';
import type { WorkflowNodeStatus, WorkflowStatus } from '../api/status.js';

export type WorkflowKind = 'Workflow' | 'FlyteWorkflow';

/** The parts of either kind the console reads (both are plain JSON from the API server). */
export interface AnyWorkflowObject {
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string | Date;
    labels?: Record<string, string>;
    deletionTimestamp?: string | Date;
  };
  spec?: unknown;
  status?: unknown;
}

/** One row of `/workflows`. */
export interface WorkflowRow {
  kind: WorkflowKind;
  namespace: string;
  name: string;
  phase: string;
  shard: string;
  progress: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Being deleted (aborted; the finalizer still runs). */
  deleting: boolean;
  labels: Record<string, string>;
}

export interface GraphNode {
  /** The node's status path (`extract`, `sub/load`, `decide/ship`): the `data-node-id` of the page. */
  id: string;
  label: string;
  /** task, branch, workflow, gate, array; `flyte` nodes give their Flyte kind. */
  kind: string;
  phase: string;
  /** The enclosing node's id for a node nested in a sub-workflow or branch; null at the top. */
  parent: string | null;
  /** An array node's items by phase (`Succeeded: 3, Running: 1`). */
  arrayCounts?: Record<string, number>;
  /** The gate's signal when the node is a gate waiting for one (what "approve"/"send" sets). */
  gate?: { signal: string; type: string; approve: boolean; message?: string };
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A node's panel: its status fields (as stored) and its spec inputs. */
export interface NodeDetail {
  status: WorkflowNodeStatus | null;
  /** The node's input bindings as written in the spec. */
  inputs: Record<string, unknown> | null;
  /** Wall time of the node (finished or now minus started), in ms. */
  durationMs: number | null;
}

export interface WorkflowDetail {
  row: WorkflowRow;
  graph: WorkflowGraph;
  nodes: Record<string, NodeDetail>;
  message: string | null;
  outputs: unknown;
}

const ARRAY_CODES: Record<string, string> = {
  '.': 'Pending',
  R: 'Running',
  W: 'WaitingForRetry',
  S: 'Succeeded',
  F: 'Failed',
  A: 'Aborted',
  K: 'Skipped',
};

function timeText(value: string | Date | undefined): string {
  if (value === undefined) return '';
  return value instanceof Date ? value.toISOString() : value;
}

/** The engine status of either kind (a FlyteWorkflow keeps it under `status.flotilla.engine`). */
export function engineStatus(object: AnyWorkflowObject): WorkflowStatus {
  const status = (object.status ?? {}) as WorkflowStatus & { flotilla?: { engine?: WorkflowStatus } };
  if (kindOf(object) === 'FlyteWorkflow') return status.flotilla?.engine ?? {};
  return status;
}

export function kindOf(object: AnyWorkflowObject): WorkflowKind {
  return object.kind === 'FlyteWorkflow' || object.kind === 'flyteworkflow' ? 'FlyteWorkflow' : 'Workflow';
}

export function workflowRow(object: AnyWorkflowObject): WorkflowRow {
  const status = engineStatus(object);
  const labels = object.metadata?.labels ?? {};
  return {
    kind: kindOf(object),
    namespace: object.metadata?.namespace ?? '',
    name: object.metadata?.name ?? '',
    phase: status.phase ?? 'Pending',
    shard: labels['flotilla.io/shard'] ?? status.shard ?? '',
    progress: status.progress ?? '',
    createdAt: timeText(object.metadata?.creationTimestamp),
    startedAt: status.startedAt ?? null,
    finishedAt: status.finishedAt ?? null,
    deleting: object.metadata?.deletionTimestamp !== undefined,
    labels,
  };
}

export interface WorkflowFilter {
  namespace?: string;
  phase?: string;
  shard?: string;
  /** `key=value` (or `key` alone: the label is present). */
  label?: string;
  kind?: WorkflowKind;
}

export interface WorkflowPage {
  rows: WorkflowRow[];
  total: number;
  page: number;
  pageSize: number;
}

/** Filters, sorts newest first (then by namespace/name, so pages are stable) and pages. */
export function filterWorkflows(
  rows: readonly WorkflowRow[],
  filter: WorkflowFilter,
  page = 1,
  pageSize = 50,
): WorkflowPage {
  const [labelKey, labelValue] = filter.label ? splitLabel(filter.label) : [undefined, undefined];
  const matching = rows.filter(
    (r) =>
      (!filter.namespace || r.namespace === filter.namespace) &&
      (!filter.phase || r.phase === filter.phase) &&
      (!filter.shard || r.shard === filter.shard) &&
      (!filter.kind || r.kind === filter.kind) &&
      (labelKey === undefined ||
        (labelKey in r.labels && (labelValue === undefined || r.labels[labelKey] === labelValue))),
  );
  matching.sort(
    (a, b) =>
      b.createdAt.localeCompare(a.createdAt) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
  const safePage = Math.max(1, Math.min(page, Math.max(1, Math.ceil(matching.length / pageSize))));
  return {
    rows: matching.slice((safePage - 1) * pageSize, safePage * pageSize),
    total: matching.length,
    page: safePage,
    pageSize,
  };
}

function splitLabel(label: string): [string, string | undefined] {
  const at = label.indexOf('=');
  return at < 0 ? [label.trim(), undefined] : [label.slice(0, at).trim(), label.slice(at + 1).trim()];
}

/** Items of an array node by phase, from its one-character-per-item string. */
function arrayCounts(status: WorkflowNodeStatus | undefined): Record<string, number> | undefined {
  const phases = status?.array?.phases;
  if (phases === undefined) return undefined;
  const counts: Record<string, number> = {};
  for (const code of phases) {
    const phase = ARRAY_CODES[code] ?? 'Unknown';
    counts[phase] = (counts[phase] ?? 0) + 1;
  }
  return counts;
}

function gateOf(node: WorkflowNode): GraphNode['gate'] {
  const gate = node.gate;
  if (!gate) return undefined;
  if (gate.signal) return { signal: gate.signal.name, type: gate.signal.type, approve: false };
  if (gate.approve)
    return {
      signal: gate.approve.name ?? node.id ?? '',
      type: 'boolean',
      approve: true,
      ...(gate.approve.message ? { message: gate.approve.message } : {}),
    };
  return undefined;
}

/** The ids a node waits for: `dependsOn` and every `fromNode` binding of its inputs. */
function upstreamOf(node: WorkflowNode): string[] {
  const ids = new Set(node.dependsOn ?? []);
  for (const binding of Object.values(node.inputs ?? {})) {
    const from = (binding as { fromNode?: unknown }).fromNode;
    if (typeof from === 'string') ids.add(from);
  }
  return [...ids];
}

/** The graph of a native Workflow: one level per sub-workflow or branch, nested by `parent`. */
function nativeGraph(spec: Partial<WorkflowSpec>, status: WorkflowStatus, graph: WorkflowGraph): void {
  const nodesStatus = status.nodes ?? {};
  const addLevel = (nodes: readonly WorkflowNode[], prefix: string, parent: string | null, depth: number) => {
    const ids = new Set(nodes.map((n) => n.id ?? ''));
    for (const node of nodes) {
      const id = `${prefix}${node.id ?? ''}`;
      const nodeStatus = nodesStatus[id];
      const counts = node.kind === 'array' ? arrayCounts(nodeStatus) : undefined;
      const gate = gateOf(node);
      graph.nodes.push({
        id,
        label: node.id ?? '',
        kind: node.kind,
        phase: nodeStatus?.phase ?? 'Pending',
        parent,
        ...(counts ? { arrayCounts: counts } : {}),
        ...(gate ? { gate } : {}),
      });
      for (const up of upstreamOf(node)) if (ids.has(up)) graph.edges.push({ from: `${prefix}${up}`, to: id });
      if (depth >= 8) continue;
      const sub =
        node.kind === 'workflow' && !node.workflow?.launch ? spec.subWorkflows?.[node.workflow?.ref ?? ''] : undefined;
      if (sub) addLevel(sub.nodes, `${id}/`, id, depth + 1);
      if (node.kind === 'branch' && node.branch) {
        const children = [
          ...node.branch.cases.map((c) => c.node),
          ...(node.branch.else?.node ? [node.branch.else.node] : []),
        ];
        // A branch's case nodes are alternatives: no edges between them, only nesting.
        addLevel(
          children.map((c) => ({ ...c, dependsOn: [], inputs: {} })),
          `${id}/`,
          id,
          depth + 1,
        );
      }
    }
  };
  addLevel(spec.nodes ?? [], '', null, 0);
}

interface FlyteSpecShape {
  nodes?: Record<string, { id?: string; kind?: string; name?: string }>;
  edges?: { upstream?: Record<string, string[]> };
  connections?: Record<string, string[]> | null;
}

/** The graph of a FlyteWorkflow's primary workflow (`start-node`/`end-node` left out). */
function flyteGraph(spec: FlyteSpecShape, status: WorkflowStatus, graph: WorkflowGraph): void {
  const hidden = new Set(['start-node', 'end-node']);
  const nodes = spec.nodes ?? {};
  for (const [id, node] of Object.entries(nodes)) {
    if (hidden.has(id)) continue;
    graph.nodes.push({
      id,
      label: node.name ?? id,
      kind: node.kind ?? 'task',
      phase: status.nodes?.[id]?.phase ?? 'Pending',
      parent: null,
    });
  }
  const upstream = spec.edges?.upstream ?? {};
  for (const [to, froms] of Object.entries(upstream)) {
    if (hidden.has(to) || !(to in nodes)) continue;
    for (const from of froms) if (!hidden.has(from) && from in nodes) graph.edges.push({ from, to });
  }
}

function durationOf(status: WorkflowNodeStatus | undefined, nowMs: number): number | null {
  if (!status?.startedAt) return null;
  const start = Date.parse(status.startedAt);
  const end = status.finishedAt ? Date.parse(status.finishedAt) : nowMs;
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : null;
}

/** Finds the spec node of a native Workflow's status path (for its input bindings). */
function specNodeAt(spec: Partial<WorkflowSpec>, path: string): WorkflowNode | undefined {
  let nodes: readonly WorkflowNode[] = spec.nodes ?? [];
  let found: WorkflowNode | undefined;
  for (const part of path.split('/')) {
    found = nodes.find((n) => n.id === part);
    if (!found) return undefined;
    const sub = found.kind === 'workflow' ? spec.subWorkflows?.[found.workflow?.ref ?? ''] : undefined;
    nodes = sub
      ? sub.nodes
      : found.branch
        ? [...found.branch.cases.map((c) => c.node), ...(found.branch.else?.node ? [found.branch.else.node] : [])]
        : [];
  }
  return found;
}

export function workflowDetail(object: AnyWorkflowObject, nowMs: number): WorkflowDetail {
  const status = engineStatus(object);
  const graph: WorkflowGraph = { nodes: [], edges: [] };
  const kind = kindOf(object);
  if (kind === 'FlyteWorkflow') flyteGraph((object.spec ?? {}) as FlyteSpecShape, status, graph);
  else nativeGraph((object.spec ?? {}) as Partial<WorkflowSpec>, status, graph);
  const nodes: Record<string, NodeDetail> = {};
  for (const node of graph.nodes) {
    const nodeStatus = status.nodes?.[node.id];
    const specNode =
      kind === 'Workflow' ? specNodeAt((object.spec ?? {}) as Partial<WorkflowSpec>, node.id) : undefined;
    nodes[node.id] = {
      status: nodeStatus ?? null,
      inputs: specNode?.inputs ? (specNode.inputs as Record<string, unknown>) : null,
      durationMs: durationOf(nodeStatus, nowMs),
    };
  }
  return { row: workflowRow(object), graph, nodes, message: status.message ?? null, outputs: status.outputs ?? null };
}

/** One renewal of a replica's member lease as the console saw it: when, and each shard's rounds counter. */
export interface RoundsSample {
  atMs: number;
  rounds: Record<string, number>;
}

/** Rounds/s of one replica between two renewals of its member lease, in total and per shard. */
export interface RoundsRate {
  perSecond: number;
  byShard: Record<string, number>;
}

/**
 * Rounds/s from two successive renewals of one replica's load: per shard the counter's rise over
 * the time between the renewals. A shard new in `after`, or whose counter went back (it moved away
 * and came back, or the replica restarted), counts from its restart: its counter is the rounds since.
 * Null without two renewals some time apart.
 */
export function roundsRate(before: RoundsSample | undefined, after: RoundsSample): RoundsRate | null {
  if (before === undefined || after.atMs <= before.atMs) return null;
  const seconds = (after.atMs - before.atMs) / 1000;
  const byShard: Record<string, number> = {};
  let total = 0;
  for (const [shard, rounds] of Object.entries(after.rounds)) {
    const previous = before.rounds[shard];
    const rose = previous !== undefined && rounds >= previous ? rounds - previous : rounds;
    byShard[shard] = rose / seconds;
    total += rose;
  }
  return { perSecond: total / seconds, byShard };
}
