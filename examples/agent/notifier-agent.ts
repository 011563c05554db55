/**
 * An example agent service (flotilla.agent.v1.AgentService): it "sends a notification" a short
 * while after CreateTask. The sandbox runs it (`flotilla example-agent --port N`), and the agent
 * plugin's tests drive it.
 *
 * Task config (the task template's `agent.config`):
 *   channel    where to "send" (echoed in the outputs)                    default "general"
 *   delayMs    how long the notification takes                           default: the agent's delay
 *   fail       true → the task fails (a user failure)
 *   failKind   "system" → the failure is marked SYSTEM instead of USER
 *   crash      true → GetTask answers with gRPC INTERNAL (an agent bug)
 * Inputs: `message` (any JSON) is echoed in the outputs.
 *
 * CreateTask is idempotent by idempotency key: a repeat returns the same task. DeleteTask marks
 * a task aborted (by resource_meta, or by idempotency key alone) and is idempotent.
 */
import * as grpc from '@grpc/grpc-js';
import * as pb from '../../src/generated/flotilla/agent/v1/agent.js';
import { startGrpcServer, type ServerSecurityOptions } from '../../src/security/grpc.js';

export interface NotifierAgentOptions {
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  readonly port?: number;
  /** Default notification delay. @defaultValue 200 */
  readonly delayMs?: number;
  readonly security?: ServerSecurityOptions;
}

interface AgentTask {
  readonly key: string;
  readonly createdAt: number;
  readonly delayMs: number;
  readonly config: Record<string, unknown>;
  readonly inputs: Record<string, unknown>;
  deleted: boolean;
}

export interface RunningNotifierAgent {
  readonly address: string;
  readonly port: number;
  /** Distinct tasks created (repeats of a key are not counted). */
  readonly created: () => number;
  /** CreateTask calls received, repeats included. */
  readonly createCalls: () => number;
  /** Whether the task with this idempotency key was deleted. */
  readonly isDeleted: (key: string) => boolean;
  stop(): Promise<void>;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function keyOf(resourceMeta: Uint8Array): string | undefined {
  const meta = parseObject(Buffer.from(resourceMeta).toString('utf8'));
  return typeof meta?.key === 'string' ? meta.key : undefined;
}

export async function startNotifierAgent(options: NotifierAgentOptions = {}): Promise<RunningNotifierAgent> {
  const tasks = new Map<string, AgentTask>();
  let createCalls = 0;
  const implementation: pb.AgentServiceServer = {
    createTask(call, callback) {
      createCalls += 1;
      const { idempotencyKey, configJson, inputsJson } = call.request;
      const config = parseObject(configJson);
      const inputs = parseObject(inputsJson);
      if (!idempotencyKey || !config || !inputs) {
        callback(
          {
            code: grpc.status.INVALID_ARGUMENT,
            details: 'idempotency_key, and config_json and inputs_json as JSON objects, are required',
          },
          null,
        );
        return;
      }
      if (!tasks.has(idempotencyKey)) {
        const delayMs = typeof config.delayMs === 'number' ? config.delayMs : (options.delayMs ?? 200);
        tasks.set(idempotencyKey, {
          key: idempotencyKey,
          createdAt: Date.now(),
          delayMs,
          config,
          inputs,
          deleted: false,
        });
      }
      callback(null, { resourceMeta: Buffer.from(JSON.stringify({ key: idempotencyKey })) });
    },
    getTask(call, callback) {
      const key = keyOf(call.request.resourceMeta);
      const task = key ? tasks.get(key) : undefined;
      if (!task) {
        callback({ code: grpc.status.NOT_FOUND, details: 'no such task' }, null);
        return;
      }
      const resource: pb.Resource = {
        phase: pb.TaskPhase.TASK_PHASE_RUNNING,
        outputsJson: '',
        message: 'sending',
        failureKind: pb.FailureKind.FAILURE_KIND_UNSPECIFIED,
        failureReason: '',
      };
      if (task.config.crash === true) {
        callback({ code: grpc.status.INTERNAL, details: 'notifier crashed' }, null);
        return;
      }
      if (task.deleted) {
        Object.assign(resource, {
          phase: pb.TaskPhase.TASK_PHASE_FAILED,
          message: 'aborted',
          failureKind: pb.FailureKind.FAILURE_KIND_SYSTEM,
          failureReason: 'Aborted',
          retryable: false,
        });
      } else if (Date.now() - task.createdAt >= task.delayMs) {
        if (task.config.fail === true) {
          const system = task.config.failKind === 'system';
          Object.assign(resource, {
            phase: pb.TaskPhase.TASK_PHASE_FAILED,
            message: `could not notify channel ${String(task.config.channel ?? 'general')}`,
            failureKind: system ? pb.FailureKind.FAILURE_KIND_SYSTEM : pb.FailureKind.FAILURE_KIND_USER,
            failureReason: system ? 'NotifierDown' : 'NotificationRejected',
          });
        } else {
          resource.phase = pb.TaskPhase.TASK_PHASE_SUCCEEDED;
          resource.message = 'sent';
          resource.outputsJson = JSON.stringify({
            sent: true,
            channel: task.config.channel ?? 'general',
            message: task.inputs.message ?? null,
            notificationId: task.key,
          });
        }
      }
      callback(null, { resource });
    },
    deleteTask(call, callback) {
      const key = keyOf(call.request.resourceMeta) ?? (call.request.idempotencyKey || undefined);
      const task = key ? tasks.get(key) : undefined;
      if (task) task.deleted = true;
      callback(null, {});
    },
  };
  const server = await startGrpcServer({
    services: [{ definition: pb.AgentServiceService, implementation }],
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.security ? { security: options.security } : {}),
  });
  return {
    address: server.address,
    port: server.port,
    created: () => tasks.size,
    createCalls: () => createCalls,
    isDeleted: (key) => tasks.get(key)?.deleted ?? false,
    stop: () => server.stop(),
  };
}
