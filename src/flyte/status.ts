/**
 * `FlyteWorkflow.status` as FlytePropeller v1.16.8 writes it: phases are integers (Go `iota`
 * enums), node statuses are nested maps keyed by node id, and a task node's status sits under
 * the Go field name `TaskNodeStatus`. Names here are Flyte's JSON names (docs/flyte-format.md).
 */
import type { JsonObject } from '../api/schema.js';
import type { ExecutionErrorGoJson, ExecutionErrorJson } from './protobuf.js';

/** `status.phase`, always written (0 included). */
export const WorkflowPhase = {
  Ready: 0,
  Running: 1,
  Succeeding: 2,
  Succeeded: 3,
  Failing: 4,
  Failed: 5,
  Aborted: 6,
  HandlingFailureNode: 7,
} as const;
export type WorkflowPhase = (typeof WorkflowPhase)[keyof typeof WorkflowPhase];

/** `nodeStatus[id].phase`; omitted when 0 (NotYetStarted). */
export const NodePhase = {
  NotYetStarted: 0,
  Queued: 1,
  Running: 2,
  Failing: 3,
  Succeeding: 4,
  Succeeded: 5,
  Failed: 6,
  Skipped: 7,
  RetryableFailure: 8,
  TimingOut: 9,
  TimedOut: 10,
  DynamicRunning: 11,
  Recovered: 12,
} as const;
export type NodePhase = (typeof NodePhase)[keyof typeof NodePhase];

/** `TaskNodeStatus.phase`: the plugin phase (flyteplugins `pluginmachinery/core.Phase`). */
export const TaskPhase = {
  Undefined: 0,
  NotReady: 1,
  WaitingForResources: 2,
  Queued: 3,
  Initializing: 4,
  Running: 5,
  Success: 6,
  RetryableFailure: 7,
  PermanentFailure: 8,
  WaitingForCache: 9,
  Aborted: 10,
} as const;
export type TaskPhase = (typeof TaskPhase)[keyof typeof TaskPhase];

/** `branchStatus.phase`. */
export const BranchNodePhase = { NotYetEvaluated: 0, Success: 1, Error: 2 } as const;
export type BranchNodePhase = (typeof BranchNodePhase)[keyof typeof BranchNodePhase];

/** `workflowNodeStatus.phase`. */
export const WorkflowNodePhase = { Undefined: 0, Executing: 1, Failing: 2 } as const;
export type WorkflowNodePhase = (typeof WorkflowNodePhase)[keyof typeof WorkflowNodePhase];

/** `gateNodeStatus.phase`. */
export const GateNodePhase = { Undefined: 0, Executing: 1 } as const;
export type GateNodePhase = (typeof GateNodePhase)[keyof typeof GateNodePhase];

/** `arrayNodeStatus.phase`. */
export const ArrayNodePhase = { None: 0, Executing: 1, Failing: 2, Succeeding: 3 } as const;
export type ArrayNodePhase = (typeof ArrayNodePhase)[keyof typeof ArrayNodePhase];

/** `dynamicNodeStatus.phase`. */
export const DynamicNodePhase = { None: 0, Executing: 1, Failing: 2, ParentFinalizing: 3, ParentFinalized: 4 } as const;
export type DynamicNodePhase = (typeof DynamicNodePhase)[keyof typeof DynamicNodePhase];

/** The phase's name for a number of one of the enums above, or `Unknown(<n>)`. */
export function phaseName(phases: Readonly<Record<string, number>>, value: number | undefined): string {
  const n = value ?? 0;
  for (const [name, v] of Object.entries(phases)) if (v === n) return name;
  return `Unknown(${n})`;
}

/** Terminal workflow phases (FlytePropeller stops rounds and labels the object `termination-status: terminated`). */
export function isTerminalWorkflowPhase(phase: number): boolean {
  return phase === WorkflowPhase.Succeeded || phase === WorkflowPhase.Failed || phase === WorkflowPhase.Aborted;
}

/** Terminal node phases. */
export function isTerminalNodePhase(phase: number): boolean {
  return (
    phase === NodePhase.Succeeded ||
    phase === NodePhase.Failed ||
    phase === NodePhase.Skipped ||
    phase === NodePhase.Recovered
  );
}

/**
 * `flytestdlib/bitarray.CompactArray` as Go writes it: the packed words under the Go type name
 * `BitSet`, `item` bits per entry, `count` entries.
 */
export interface FlyteCompactArray {
  BitSet?: number[] | null;
  item?: number;
  count?: number;
}

/** The status of a task node's current attempt. */
export interface FlyteTaskNodeStatus {
  /** A `TaskPhase`; omitted when 0. */
  phase?: number;
  phaseVersion?: number;
  /** The plugin's own state, base64 of a gob (Go) encoding: opaque outside FlytePropeller. */
  pState?: string;
  /** Version of `pState`'s layout. */
  psv?: number;
  /** Barrier clock tick (de-duplicates plugin transitions). */
  tick?: number;
  /** RFC 3339; always written (Go zero time `0001-01-01T00:00:00Z` when unset). */
  updAt?: string;
  /** The previous attempt's checkpoint path. */
  checkpointPath?: string;
  /** Whether the plugin must clean up after a failure. */
  clean?: boolean;
}

/** The status of one node, keyed by node id in `nodeStatus` (or a parent's `subNodeStatus`). */
export interface FlyteNodeStatus {
  /** A `NodePhase`; omitted when 0 (NotYetStarted). */
  phase?: number;
  queuedAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  lastUpdatedAt?: string;
  /** When the last attempt started (JSON name `laStartedAt`). */
  laStartedAt?: string;
  message?: string;
  /** Attempts made so far (the output directory of the current attempt is `<dataDir>/<attempts>`). */
  attempts?: number;
  systemFailures?: number;
  /** Flyte's flag for a node whose outputs came from the catalog (set on CACHE_HIT). */
  cached?: boolean;
  /**
   * A cacheable task's catalog outcome, flyteidl `CatalogCacheStatus` names (`CACHE_HIT`,
   * `CACHE_MISS`, `CACHE_POPULATED`, `CACHE_PUT_FAILURE`, `CACHE_SKIPPED`). Not a FlytePropeller
   * field (Flyte reports it only in events); its Go readers ignore it.
   */
  cacheStatus?: string;
  /** Set on a branch's chosen node: the branch node's id. */
  parentNode?: string;
  /** Branch nodes. */
  branchStatus?: { phase?: number; finalNodeId?: string };
  /** Workflow (inline sub-workflow) nodes keep their sub-workflow's node statuses here; dynamic nodes too. */
  subNodeStatus?: Record<string, FlyteNodeStatus>;
  workflowNodeStatus?: { phase?: number; executionError?: ExecutionErrorGoJson };
  /** Task nodes (JSON name is the Go field name). */
  TaskNodeStatus?: FlyteTaskNodeStatus;
  dynamicNodeStatus?: { phase?: number; reason?: string; error?: ExecutionErrorJson; permFailure?: boolean };
  gateNodeStatus?: { phase?: number };
  arrayNodeStatus?: {
    phase?: number;
    executionError?: ExecutionErrorGoJson;
    /** Per item: `NodePhase`. */
    subphase?: FlyteCompactArray;
    /** Per item: `TaskPhase`. */
    subtphase?: FlyteCompactArray;
    /** Per item: retry attempts. */
    subattempts?: FlyteCompactArray;
    /** Per item: system failures. */
    subsysfailures?: FlyteCompactArray;
    /** Per item: start time offsets. */
    subtimestamps?: FlyteCompactArray;
    taskPhaseVersion?: number;
  };
  /** Set in failing/failed phases. */
  error?: ExecutionErrorJson;
}

/** `status`. FlytePropeller writes it with the rest of the object (the CRD has no status subresource). */
export interface FlyteWorkflowStatus {
  /** A `WorkflowPhase`; always present. */
  phase: number;
  startedAt?: string;
  stoppedAt?: string;
  lastUpdatedAt?: string;
  /** Cut to 1024 characters by FlytePropeller. */
  message?: string;
  /** `<metadata prefix>/<project>-<domain>-<name>`; node data dirs are `<dataDir>/<node id>` (not persisted per node). */
  dataDir?: string;
  /** The workflow's `outputs.pb`. */
  outputRef?: string;
  /** Top-level node statuses by node id (a branch's chosen node is here too, with `parentNode`). */
  nodeStatus?: Record<string, FlyteNodeStatus>;
  /** Rounds that failed with a system error. */
  failedAttempts?: number;
  error?: ExecutionErrorJson;
  /** Workflow definition version: 1 for workflows FlytePropeller started after v0.x (JSON name `defVersion`). */
  defVersion?: number;
  /**
   * flotilla's own: the engine state a round resumes from (src/flyte/project). Not Flyte's; the
   * CRD keeps unknown fields and Flyte's readers ignore them.
   */
  flotilla?: FlotillaEngineState;
}

/** `status.flotilla`: the engine's `WorkflowStatus` (src/api/status.ts) as JSON, and its layout version. */
export interface FlotillaEngineState {
  /** Layout version of `engine` (1). */
  version: number;
  /** The engine's status, authoritative: Flyte's fields beside it are projected from it. */
  engine: JsonObject;
}
