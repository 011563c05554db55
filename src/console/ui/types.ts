/** The JSON the console's API answers with (mirrors ../model.ts and shard-manager/fleet-status.ts). */
export interface WorkflowRow {
  kind: 'Workflow' | 'FlyteWorkflow';
  namespace: string;
  name: string;
  phase: string;
  shard: string;
  progress: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  deleting: boolean;
  labels: Record<string, string>;
}

export interface WorkflowPage {
  rows: WorkflowRow[];
  total: number;
  page: number;
  pageSize: number;
  flyteWatched: boolean;
}

export interface GraphNode {
  id: string;
  label: string;
  kind: string;
  phase: string;
  parent: string | null;
  arrayCounts?: Record<string, number>;
  gate?: { signal: string; type: string; approve: boolean; message?: string };
}

export interface NodeStatus {
  phase?: string;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  reason?: string;
  outputs?: unknown;
  outputRef?: string;
  waitingFor?: string;
  taskPhase?: string;
  lastFailure?: { kind: string; reason: string; message: string; attempt?: number };
}

export interface NodeDetail {
  status: NodeStatus | null;
  inputs: Record<string, unknown> | null;
  durationMs: number | null;
}

export interface WorkflowDetail {
  row: WorkflowRow;
  graph: { nodes: GraphNode[]; edges: { from: string; to: string }[] };
  nodes: Record<string, NodeDetail>;
  message: string | null;
  outputs: unknown;
}

export interface NodeResources {
  pods: {
    name: string;
    phase: string;
    attempt: string;
    node: string;
    startedAt: string | null;
    message: string | null;
  }[];
  events: {
    type: string;
    reason: string;
    message: string;
    object: string;
    count: number;
    lastTimestamp: string | null;
  }[];
}

export interface Fleet {
  namespace: string;
  manager: { leader: string | null; live: boolean };
  shards: {
    shard: string;
    owner: string | null;
    assignedTo: string | null;
    epoch: number;
    leaseAgeSeconds: number | null;
    workflows: number | null;
    queueDepth: number | null;
    moving: boolean;
    /** Between the owner's last two lease renewals the console saw; null before two. */
    roundsPerSecond: number | null;
  }[];
  replicas: {
    replica: string;
    live: boolean;
    draining: boolean;
    shardsOwned: number;
    shardsAssigned: number;
    lastRenewSecondsAgo: number | null;
    roundsPerSecond: number | null;
  }[];
  phasesByShard: Record<string, Record<string, number>>;
  moves: { at: string; shard: string; from: string | null; to: string | null }[];
}

/** A workflow's execution events as the event sink stored them (mirrors ../sink.ts). */
export interface SinkEvents {
  configured: boolean;
  events: {
    occurredAt: string;
    scope: string;
    nodeId: string | null;
    attempt: number | null;
    phase: string;
    message: string | null;
  }[];
  truncated: boolean;
}

/** A node's outputs offloaded to the blob store (mirrors ../outputs.ts). */
export interface NodeOutputs {
  configured: boolean;
  ref: string | null;
  uri: string | null;
  outputs: Record<string, unknown> | null;
}
