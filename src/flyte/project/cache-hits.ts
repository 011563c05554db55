/**
 * Outputs of nodes served from the cache, for the blob store: a cache hit runs no container, so
 * nothing wrote the node's `outputs.pb`; FlytePropeller writes the catalog's outputs there itself
 * (its node executor's CheckCatalogCache), where FlyteAdmin's node outputs and flytekit read them.
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

/** The nodes that became CACHE_HIT between `before` and `after` (inline outputs only), with where their outputs go. */
export function cacheHitOutputs(
  workflow: Workflow,
  before: WorkflowStatus | undefined,
  after: WorkflowStatus,
): CacheHitOutputs[] {
  const out: CacheHitOutputs[] = [];
  for (const [path, ns] of Object.entries(after.nodes ?? {})) {
    if (ns.cacheStatus !== 'CACHE_HIT' || before?.nodes?.[path]?.cacheStatus === 'CACHE_HIT') continue;
    const config = ns.task !== undefined ? workflow.spec.tasks[ns.task]?.config : undefined;
    if (!isContainerConfig(config) || !isObject(ns.outputs)) continue;
    out.push({ uri: attemptPaths(config, path, 1).outputs, literals: normalizeLiterals(ns.outputs) });
  }
  return out;
}
