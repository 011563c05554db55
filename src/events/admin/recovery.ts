/**
 * Recovery through FlyteAdmin (`--admin-endpoint`), as FlytePropeller's recovery client does it:
 * GetNodeExecution for the node in the earlier execution; a node execution that ended SUCCEEDED or
 * RECOVERED is taken, with its outputs: GetNodeExecutionData's `fullOutputs`, else the closure's
 * `outputData`, else its `outputUri` (or the data call's `outputs` URL) read from the blob store.
 * A node admin does not know (NotFound), or one that did not succeed, runs. Unlike FlytePropeller,
 * which runs the node on any other error, an admin that cannot answer holds the node back (the
 * engine asks again): running it would redo work the user asked to keep.
 *
 * Admin knows a node by the id its events reported. For a top-level node that is its Flyte id; a
 * node nested in a branch or sub-workflow (or an array item) is asked of the fallback instead (the
 * earlier FlyteWorkflow and the blob store), which keys by the node's path.
 */
import { NodeExecution_Phase } from '../../generated/flyteidl/flyteidl/core/execution.js';
import { LiteralMap } from '../../generated/flyteidl/flyteidl/core/literals.js';
import type { TaskContext } from '../../engine/plugins.js';
import type { RecoveryLookup, TaskRecovery } from '../../engine/recovery.js';
import { declaredOutputs } from '../../flyte/container/stand-in.js';
import { decodeLiteralMap } from '../../flyte/literals/codec.js';
import type { LiteralsJson } from '../../flyte/literals/values.js';
import { isContainerConfig } from '../../flyte/translate/contract.js';
import { parseRecoverFrom } from '../../flyte/translate/index.js';
import type { AdminEventClient } from './client.js';

export interface AdminRecoveryOptions {
  readonly client: Pick<AdminEventClient, 'getNodeExecution' | 'getNodeExecutionData'>;
  /** Reads a LiteralMap (protobuf) at a blob URI. */
  readonly readLiterals: (uri: string) => Promise<LiteralsJson>;
  /** Answers for nodes admin cannot be asked about by their path (nested nodes). */
  readonly fallback?: TaskRecovery;
}

const TAKEN = new Set([NodeExecution_Phase.SUCCEEDED, NodeExecution_Phase.RECOVERED]);

export class AdminRecovery implements TaskRecovery {
  constructor(private readonly options: AdminRecoveryOptions) {}

  async recover(task: TaskContext, from: string, signal?: AbortSignal): Promise<RecoveryLookup> {
    const config = task.task.config;
    if (!isContainerConfig(config)) return { recovered: false, reason: 'only container tasks are recovered' };
    if (config.parents.length > 0 || config.arrayItem === true) {
      return this.options.fallback
        ? this.options.fallback.recover(task, from, signal)
        : { recovered: false, reason: `nested node ${task.nodeId} is not recovered through admin` };
    }
    const execution = parseRecoverFrom(from);
    if (!execution) return { recovered: false, reason: `recovery execution ${from} is not project/domain/name` };
    const id = { execution, nodeId: config.nodeId };
    const node = await this.options.client.getNodeExecution(id);
    if (!node) return { recovered: false, reason: `admin has no node execution ${from}/${config.nodeId}` };
    const phase = node.closure?.phase ?? NodeExecution_Phase.UNDEFINED;
    if (!TAKEN.has(phase))
      return {
        recovered: false,
        reason: `node ${config.nodeId} ended ${NodeExecution_Phase[phase] ?? phase} in ${from}`,
      };
    const data = await this.options.client.getNodeExecutionData(id);
    let outputs: LiteralsJson = {};
    // FlytePropeller's order: the data call's full outputs, the closure's inline outputs, then a URI.
    const result = node.closure?.outputResult;
    if (data.fullOutputs) outputs = literalsOf(data.fullOutputs);
    else if (result?.$case === 'outputData') outputs = literalsOf(result.outputData);
    else if (result?.$case === 'outputUri' && result.outputUri !== '')
      outputs = await this.options.readLiterals(result.outputUri);
    else if (data.outputs?.url) outputs = await this.options.readLiterals(data.outputs.url);
    const missing = Object.keys(declaredOutputs(config.template)).filter((name) => !Object.hasOwn(outputs, name));
    if (missing.length > 0)
      return { recovered: false, reason: `admin's outputs of ${from}/${config.nodeId} lack ${missing.join(', ')}` };
    return { recovered: true, outputs };
  }
}

function literalsOf(map: LiteralMap): LiteralsJson {
  return decodeLiteralMap(LiteralMap.encode(map).finish());
}
