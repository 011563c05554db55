/**
 * The Workflow resource as a whole: metadata, spec (`schema.ts`) and status (`status.ts`), plus
 * the labels, annotations and finalizer flotilla puts on Workflows and on what it creates.
 */
import type { WorkflowSpec } from './schema.js';
import type { WorkflowStatus } from './status.js';

export const WORKFLOW_API_VERSION = 'flotilla.io/v1alpha1';

/** Labels flotilla sets (on Workflows, Pods and child Workflows). */
export const Labels = {
  /** The shard a Workflow belongs to; copied onto its Pods and child Workflows. */
  shard: 'flotilla.io/shard',
  /** The owning Workflow's name (on Pods and child Workflows). */
  workflow: 'flotilla.io/workflow',
  /** The node path, sanitised to a label value (on Pods and child Workflows). */
  node: 'flotilla.io/node',
  /** The 1-based attempt number (on Pods). */
  attempt: 'flotilla.io/attempt',
  /** `"true"` once a Workflow reached a terminal phase (lets informers filter finished work out). */
  completed: 'flotilla.io/completed',
  /** The parent Workflow of a launched child (on child Workflows). */
  parent: 'flotilla.io/parent',
  /**
   * The parent's shard (on child Workflows, which hash to a shard of their own): the shard whose
   * lease the creator held, which `shardEpoch` on the child is an epoch of.
   */
  parentShard: 'flotilla.io/parent-shard',
  /**
   * The epoch of the shard lease held by the replica that created the object (on Pods, of their
   * Workflow's shard; on child Workflows, of `parentShard`): the fencing token the admission
   * webhook's fence checks against the lease (docs/shards.md).
   */
  shardEpoch: 'flotilla.io/shard-epoch',
} as const;

/** Annotations flotilla sets. */
export const WorkflowAnnotations = {
  /** The full (unsanitised) node path, on Pods and child Workflows. */
  nodePath: 'flotilla.io/node-path',
} as const;

/** The finalizer that lets a replica abort running tasks before a deleted Workflow goes. */
export const ABORT_FINALIZER = 'flotilla.io/abort';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface WorkflowMetadata {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** A Workflow as a client submits it: the server assigns `uid` (and the other server-set fields). */
export type NewWorkflow = Omit<Workflow, 'metadata'> & { metadata: Omit<WorkflowMetadata, 'uid'> & { uid?: string } };

export interface Workflow {
  apiVersion: typeof WORKFLOW_API_VERSION;
  kind: 'Workflow';
  metadata: WorkflowMetadata;
  spec: WorkflowSpec;
  status?: WorkflowStatus;
}

/** An owner reference pointing at a Workflow (for its Pods and child Workflows). */
export function ownerReferenceTo(workflow: Pick<Workflow, 'metadata'>): OwnerReference {
  return {
    apiVersion: WORKFLOW_API_VERSION,
    kind: 'Workflow',
    name: workflow.metadata.name,
    uid: workflow.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `<namespace>/<name>`: the key queues and shard hashing use. */
export function workflowKey(workflow: Pick<Workflow, 'metadata'>): string {
  return `${workflow.metadata.namespace}/${workflow.metadata.name}`;
}
