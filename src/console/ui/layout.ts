/**
 * Lays a workflow's graph out with dagre, one level at a time: a sub-workflow or branch is laid
 * out first on its own, and its box (children plus a title) becomes one node of the level above.
 * (dagre's compound graphs cannot take edges to a cluster node; this nesting can.)
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { GraphNode } from './types.js';

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 46;
const GROUP_PAD = 12;
const GROUP_TITLE = 22;

export interface PlacedNode {
  node: GraphNode;
  /** Top-left corner, relative to the enclosing level. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** A sub-workflow's or branch's own level. */
  children: PlacedLevel | null;
}

export interface PlacedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface PlacedLevel {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

interface NodeLabel {
  width: number;
  height: number;
  x?: number;
  y?: number;
}
interface EdgeLabel {
  points?: { x: number; y: number }[];
}

function layoutLevel(
  parent: string | null,
  byParent: Map<string | null, GraphNode[]>,
  edges: readonly { from: string; to: string }[],
): PlacedLevel {
  const members = byParent.get(parent) ?? [];
  const ids = new Set(members.map((n) => n.id));
  const children = new Map<string, PlacedLevel>();
  for (const node of members) {
    if (byParent.has(node.id)) children.set(node.id, layoutLevel(node.id, byParent, edges));
  }
  const g = new Graph<
    { rankdir: string; nodesep: number; ranksep: number; marginx: number; marginy: number },
    NodeLabel,
    EdgeLabel
  >();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 40, marginx: 4, marginy: 4 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of members) {
    const inner = children.get(node.id);
    g.setNode(node.id, {
      width: inner ? Math.max(NODE_WIDTH, inner.width + 2 * GROUP_PAD) : NODE_WIDTH,
      height: inner ? inner.height + GROUP_TITLE + 2 * GROUP_PAD : NODE_HEIGHT,
    });
  }
  const levelEdges = edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  for (const edge of levelEdges) g.setEdge(edge.from, edge.to);
  layout(g);
  const placed: PlacedNode[] = members.map((node) => {
    const label = g.node(node.id);
    const width = label.width;
    const height = label.height;
    return {
      node,
      x: (label.x ?? 0) - width / 2,
      y: (label.y ?? 0) - height / 2,
      width,
      height,
      children: children.get(node.id) ?? null,
    };
  });
  const placedEdges = levelEdges.map((e) => ({ ...e, points: g.edge(e.from, e.to)?.points ?? [] }));
  const graph = g.graph() as { width?: number; height?: number };
  return { nodes: placed, edges: placedEdges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** The whole graph, top level first. */
export function layoutGraph(nodes: readonly GraphNode[], edges: readonly { from: string; to: string }[]): PlacedLevel {
  const byParent = new Map<string | null, GraphNode[]>();
  for (const node of nodes) {
    const list = byParent.get(node.parent) ?? [];
    list.push(node);
    byParent.set(node.parent, list);
  }
  return layoutLevel(null, byParent, edges);
}

export const GROUP_OFFSET = { x: GROUP_PAD, y: GROUP_TITLE + GROUP_PAD };
