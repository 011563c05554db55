/**
 * Where a workflow's data lives in the blob store: FlytePropeller's layout, so tools that read a
 * Flyte bucket (flytekit, the console) find the same files here. Pure functions of URIs and ids.
 *
 * Metadata (small protobuf documents the controller reads and writes):
 *
 *   <metadata root>/<project>-<domain>-<execution>/            the execution's metadata prefix
 *     <node>/data/                                             a top-level node's data directory
 *       inputs.pb                                              LiteralMap: the node's inputs (all attempts)
 *       <attempt>/                                             one attempt's output directory (0, 1, ...)
 *         outputs.pb                                           LiteralMap: the attempt's outputs
 *         error.pb                                             ErrorDocument: the attempt's failure
 *         deck.html, futures.pb                                the task's deck; a dynamic node's spec
 *         <child>/                                             a nested node's data directory (branch
 *           inputs.pb, <attempt>/outputs.pb, ...               taken, sub-workflow or dynamic node)
 *
 * The workflow's own inputs are the start node's outputs: `start-node/data/0/outputs.pb`. Nesting
 * repeats: a nested node's data directory is `<parent's output directory>/<child id>`, so every
 * retry of the parent runs its children afresh in its own directory.
 *
 * Raw output (data a task writes itself: files, directories, dataframes; never read by the
 * controller) goes under a separate prefix, often another bucket:
 *
 *   <raw root>/<shard>/<id>/                                   one node attempt's raw output prefix
 *     _flytecheckpoints/                                       the attempt's checkpoints
 *
 * `<id>` is derived from (execution, node lineage, attempt): deterministic, so a round that runs again
 * computes the same prefix, and new for each attempt, so a retry never reads a failed attempt's
 * leftovers (it is handed the previous attempt's checkpoints explicitly). `<shard>` (two characters)
 * spreads executions over many key prefixes, as S3 partitions by prefix. Flyte derives both the same
 * way in spirit; the exact hash differs, which no reader depends on since the prefix is passed to the
 * task.
 */
import { createHash } from 'node:crypto';
import { StorageError } from './errors.js';
import { joinBlobUri } from './uri.js';

/** The node that receives the workflow's inputs; its outputs.pb holds them. */
export const startNodeId = 'start-node';
/** The node that gathers the workflow's outputs. */
export const endNodeId = 'end-node';

export const inputsFile = 'inputs.pb';
export const outputsFile = 'outputs.pb';
export const errorFile = 'error.pb';
export const deckFile = 'deck.html';
export const futuresFile = 'futures.pb';
export const checkpointDir = '_flytecheckpoints';

export interface ExecutionId {
  project: string;
  domain: string;
  name: string;
}

/** One node attempt; a list of them, outermost first, says how a node is nested. */
export interface NodeAttempt {
  nodeId: string;
  /** The retry attempt, from 0. */
  attempt: number;
}

export interface NodeDataPaths {
  /** The node's data directory, shared by its attempts. */
  dataDir: string;
  /** The attempt's output directory: `<dataDir>/<attempt>`. */
  outputDir: string;
  /** `<dataDir>/inputs.pb` (LiteralMap). */
  inputs: string;
  /** `<outputDir>/outputs.pb` (LiteralMap). */
  outputs: string;
  /** `<outputDir>/error.pb` (ErrorDocument). */
  error: string;
  /** `<outputDir>/deck.html`. */
  deck: string;
  /** `<outputDir>/futures.pb` (DynamicJobSpec, dynamic nodes only). */
  futures: string;
}

/** `<metadataRoot>/<project>-<domain>-<name>`: the execution's metadata prefix. */
export function executionMetadataPrefix(metadataRoot: string, execution: ExecutionId): string {
  for (const [field, value] of Object.entries(execution)) checkId(`execution ${field}`, value);
  return joinBlobUri(metadataRoot, `${execution.project}-${execution.domain}-${execution.name}`);
}

/**
 * The data paths of one node attempt. `parents` lists the enclosing node attempts, outermost first
 * (empty for a node of the top-level workflow): for node `n2` inside branch `b0` (attempt 1) inside
 * sub-workflow node `s` (attempt 0), `nodeDataPaths(prefix, { nodeId: 'n2', attempt: 0 },
 * [{ nodeId: 's', attempt: 0 }, { nodeId: 'b0', attempt: 1 }])` gives the data directory
 * `<prefix>/s/data/0/b0/1/n2`.
 */
export function nodeDataPaths(
  executionPrefix: string,
  node: NodeAttempt,
  parents: readonly NodeAttempt[] = [],
): NodeDataPaths {
  const chain = [...parents, node];
  for (const step of chain) {
    checkId('node id', step.nodeId);
    checkAttempt(step);
  }
  // The outermost node's data dir sits under the execution prefix; each nested one under its
  // parent's attempt directory.
  let dataDir = '';
  chain.forEach((step, i) => {
    const parent = chain[i - 1];
    dataDir =
      parent === undefined
        ? joinBlobUri(executionPrefix, step.nodeId, 'data')
        : joinBlobUri(dataDir, String(parent.attempt), step.nodeId);
  });
  const outputDir = joinBlobUri(dataDir, String(node.attempt));
  return {
    dataDir,
    outputDir,
    inputs: joinBlobUri(dataDir, inputsFile),
    outputs: joinBlobUri(outputDir, outputsFile),
    error: joinBlobUri(outputDir, errorFile),
    deck: joinBlobUri(outputDir, deckFile),
    futures: joinBlobUri(outputDir, futuresFile),
  };
}

/** Where the workflow's inputs are written: the start node's outputs. */
export function workflowInputsUri(executionPrefix: string): string {
  return nodeDataPaths(executionPrefix, { nodeId: startNodeId, attempt: 0 }).outputs;
}

/**
 * A node's id unique within the execution, nesting included (`s-0-b0-1-n2`), as events and raw
 * output prefixes name it. Long ones are shortened to a hash so names stay within limits.
 */
export function uniqueNodeId(node: NodeAttempt, parents: readonly NodeAttempt[] = []): string {
  const full = [...parents.flatMap((p) => [p.nodeId, String(p.attempt)]), node.nodeId].join('-');
  return full.length <= 63 ? full : `n${digest(full).slice(0, 20)}`;
}

/** The raw output prefix of one node attempt: `<rawRoot>/<shard>/<id>` (see the header). */
export function rawOutputPrefix(
  rawRoot: string,
  execution: ExecutionId,
  node: NodeAttempt,
  parents: readonly NodeAttempt[] = [],
): string {
  checkAttempt(node);
  const hash = digest(
    [execution.project, execution.domain, execution.name, uniqueNodeId(node, parents), String(node.attempt)].join('\n'),
  );
  return joinBlobUri(rawRoot, hash.slice(0, 2), hash.slice(2, 22));
}

/** The checkpoint directory of a node attempt, under its raw output prefix. */
export function checkpointPrefix(rawOutputPrefixUri: string): string {
  return joinBlobUri(rawOutputPrefixUri, checkpointDir);
}

/** Lowercase base-36 digest: letters and digits only, safe in any key or name. */
function digest(text: string): string {
  const bytes = createHash('sha256').update(text).digest();
  return BigInt(`0x${bytes.toString('hex')}`)
    .toString(36)
    .padStart(50, '0');
}

function checkId(what: string, id: string): void {
  if (id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\0')) {
    throw new StorageError('InvalidUri', `invalid ${what} '${id}' for a blob path: empty, '.', '..', or contains '/'`);
  }
}

function checkAttempt(step: NodeAttempt): void {
  if (!Number.isSafeInteger(step.attempt) || step.attempt < 0) {
    throw new StorageError(
      'InvalidUri',
      `invalid attempt ${step.attempt} of node '${step.nodeId}': expected an integer from 0`,
    );
  }
}

/**
 * The object holding a native Workflow's offloaded outputs (`outputRef` = `<workflow uid>/<node path>`)
 * in the blob store rooted at `join`'s store, one object per ref:
 * `flotilla/<namespace>/<workflow uid>/outputs/<sha256(ref)[:20]>.json`. Written by the controller
 * (src/controller/adapters/blob-output-store.ts), read by it and by the console.
 */
export function nativeOutputObjectUri(
  store: { join(...parts: string[]): string },
  ref: string,
  namespace: string,
): string {
  const digest = createHash('sha256').update(ref).digest('hex').slice(0, 20);
  const uid = ref.slice(0, ref.indexOf('/'));
  return store.join('flotilla', namespace, uid, 'outputs', `${digest}.json`);
}
