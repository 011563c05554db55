/**
 * Launch plan nodes through FlyteAdmin: CreateExecution for the child (mode CHILD_WORKFLOW, the
 * parent node execution named), AlreadyExists meaning it was started before; GetExecution to
 * follow it. A succeeded child's outputs are read from its outputs URI in the blob store (or taken
 * inline when admin returns them).
 */
import { ExecutionCreateRequest } from '../../generated/flyteidl/flyteidl/admin/execution.js';
import { WorkflowExecution_Phase } from '../../generated/flyteidl/flyteidl/core/execution.js';
import type { LiteralsJson } from '../../flyte/literals/values.js';
import { literalMapJson } from '../../flyte/literals/codec.js';
import type { ChildState, LaunchPlanLauncher, LaunchRequest } from '../../plugins/flyte/launchplan.js';
import type { ExecutionRef } from '../../flyte/translate/contract.js';
import type { AdminEventClient } from './client.js';

export interface AdminLaunchPlanLauncherOptions {
  readonly client: Pick<AdminEventClient, 'createExecution' | 'getExecution'>;
  /** Reads a LiteralMap (protobuf) at a blob URI. */
  readonly readLiterals: (uri: string) => Promise<LiteralsJson>;
}

export class AdminLaunchPlanLauncher implements LaunchPlanLauncher {
  constructor(private readonly options: AdminLaunchPlanLauncherOptions) {}

  launch(request: LaunchRequest): Promise<boolean> {
    const json = {
      project: request.child.project,
      domain: request.child.domain,
      name: request.child.name,
      spec: {
        launchPlan: request.launchPlan,
        metadata: {
          mode: 'CHILD_WORKFLOW',
          parentNodeExecution: { nodeId: request.parent.nodeId, executionId: request.parent.execution },
        },
      },
      inputs: { literals: request.inputs },
    };
    return this.options.client.createExecution(ExecutionCreateRequest.fromJSON(json));
  }

  async state(child: ExecutionRef): Promise<ChildState> {
    const execution = await this.options.client.getExecution(child);
    const closure = execution.closure;
    const phase = closure?.phase ?? WorkflowExecution_Phase.UNDEFINED;
    switch (phase) {
      case WorkflowExecution_Phase.SUCCEEDED: {
        const result = closure?.outputResult;
        if (result?.$case === 'outputData') return { phase: 'succeeded', outputs: literalMapJson(result.outputData) };
        if (result?.$case === 'outputs' && result.outputs.data?.$case === 'uri')
          return { phase: 'succeeded', outputs: await this.options.readLiterals(result.outputs.data.uri) };
        return { phase: 'succeeded', outputs: {} };
      }
      case WorkflowExecution_Phase.FAILED:
      case WorkflowExecution_Phase.TIMED_OUT:
      case WorkflowExecution_Phase.ABORTED: {
        const result = closure?.outputResult;
        const error = result?.$case === 'error' ? result.error : undefined;
        return {
          phase: 'failed',
          code: error?.code || WorkflowExecution_Phase[phase] || 'Failed',
          message: error?.message || `ended ${WorkflowExecution_Phase[phase] ?? phase}`,
        };
      }
      default:
        return {
          phase: 'running',
          message: `child execution ${child.name} ${WorkflowExecution_Phase[phase] ?? phase}`,
        };
    }
  }
}
