/**
 * Outputs of nodes served from the cache, for the blob store: a cache hit runs no container, so
 * nothing wrote the node's `outputs.pb`; FlytePropeller writes the catalog's outputs there itself
 * (its node executor's CheckCatalogCache), where FlyteAdmin's node outputs and flytekit read them.
 * A node recovered from an earlier execution (`recoverFrom`) likewise: its outputs go where its
 * first attempt's would, so a later recovery of this execution finds them there.
 * Pure: which files to write after a round, from the statuses before and after it.
 */
import type { WorkflowStatus } from '../../api/status.js';
import type { Workflow } from '../../api/workflow.js';
import { attemptPaths } from '../container/paths.js';
import { isObject, normalizeLiterals, type LiteralsJson } from '../literals/values.js';
import { isContainerConfig } from '../translate/contract.js';

export interface CacheHitOutputs {
  /** `<node data dir>/0/outputs.pb`: the first attempt's place, as if it had run. */
  readonly uri: string;
  readonly literals: LiteralsJson;
}

/** The nodes that became CACHE_HIT or recovered between `before` and `after` (inline outputs only), with where their outputs go. */
export function cacheHitOutputs(
  workflow: Workflow,
  before: WorkflowStatus | undefined,
  after: WorkflowStatus,
): CacheHitOutputs[] {
  const out: CacheHitOutputs[] = [];
  for (const [path, ns] of Object.entries(after.nodes ?? {})) {
    const was = before?.nodes?.[path];
    const hit = ns.cacheStatus === 'CACHE_HIT' && was?.cacheStatus !== 'CACHE_HIT';
    const recovered = ns.recovered === true && was?.recovered !== true;
    if (!hit && !recovered) continue;
    const config = ns.task !== undefined ? workflow.spec.tasks[ns.task]?.config : undefined;
    if (!isContainerConfig(config) || !isObject(ns.outputs)) continue;
    out.push({ uri: attemptPaths(config, path, 1).outputs, literals: normalizeLiterals(ns.outputs) });
  }
  return out;
}
