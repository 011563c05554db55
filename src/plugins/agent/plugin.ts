/**
 * The `agent` task plugin: runs a task on a remote agent service over gRPC
 * (`flotilla.agent.v1.AgentService`: CreateTask, GetTask, DeleteTask — Flyte's agent shape).
 *
 * - `start` creates the task with the idempotency key `<uid>/<nodeId>/<attempt>` (the agent
 *   returns the same task for a repeat) and keeps the agent's `resource_meta` in `pluginState`, so
 *   a restarted replica resumes with GetTask and never creates twice.
 * - Every call has a deadline. UNAVAILABLE and DEADLINE_EXCEEDED are retried inside the call with
 *   exponential back-off; when they persist the plugin throws a retryable `AgentError` (the round
 *   is retried later and nothing counts against the task).
 * - Failures the agent reports are user failures unless the agent marks them SYSTEM; INTERNAL and
 *   UNKNOWN statuses are system failures; NOT_FOUND from GetTask (the agent lost the task) is a
 *   retryable system failure.
 */
import * as grpc from '@grpc/grpc-js';
import type { JsonObject, JsonValue } from '../../api/schema.js';
import * as pb from '../../generated/flotilla/agent/v1/agent.js';
import { createClient, deadlineIn, isServiceError, type ClientTlsOptions } from '../../security/grpc.js';
import type { TaskContext, TaskFailure, TaskObservation, TaskPlugin } from '../../engine/plugins.js';
import { AgentError } from './errors.js';
import { injectTraceContext } from '../../observability/tracing.js';

/** Where one agent service lives. */
export interface AgentEndpoint {
  /** `host:port`. */
  readonly address: string;
  /** TLS (and mutual TLS with certPem/keyPem); plaintext when absent. */
  readonly tls?: ClientTlsOptions;
  /** Bearer token sent on every call. */
  readonly token?: string;
}

export interface AgentPluginOptions {
  /** Agent service name (a task's `agent.service`) → endpoint. */
  readonly services: Readonly<Record<string, AgentEndpoint>>;
  /** Deadline of one gRPC call. @defaultValue 5000 */
  readonly callTimeoutMs?: number;
  /** Retries of one call on UNAVAILABLE / DEADLINE_EXCEEDED before throwing. @defaultValue 3 */
  readonly unavailableRetries?: number;
  /** First back-off between those retries (doubles, with jitter). @defaultValue 100 */
  readonly retryBaseMs?: number;
  /** When to check a running task again. @defaultValue 1000 */
  readonly pollIntervalMs?: number;
}

interface AgentState extends JsonObject {
  service: string;
  /** resource_meta, base64. */
  resourceMeta: string;
}

function readState(ctx: TaskContext): AgentState | undefined {
  const state = ctx.pluginState;
  if (state && typeof state.service === 'string' && typeof state.resourceMeta === 'string') return state as AgentState;
  return undefined;
}

export function idempotencyKey(ctx: TaskContext): string {
  return `${ctx.workflow.uid}/${ctx.nodeId}/${ctx.attempt}`;
}

function failed(failure: TaskFailure, pluginState?: JsonObject): TaskObservation {
  return pluginState ? { phase: 'Failed', failure, pluginState } : { phase: 'Failed', failure };
}

/** Maps a non-retried gRPC status to a task failure. */
function statusFailure(error: grpc.ServiceError, what: string): TaskFailure {
  switch (error.code) {
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.OUT_OF_RANGE:
      return { kind: 'user', reason: 'InvalidTask', message: `${what}: ${error.details}`, retryable: false };
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return {
        kind: 'system',
        reason: 'AgentPermissionDenied',
        message: `${what}: ${grpc.status[error.code]}`,
        retryable: false,
      };
    case grpc.status.NOT_FOUND:
      return { kind: 'system', reason: 'AgentLostTask', message: `${what}: ${error.details}` };
    default:
      return {
        kind: 'system',
        reason: 'AgentError',
        message: `${what}: ${grpc.status[error.code] ?? error.code} ${error.details}`,
      };
  }
}

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export class AgentPlugin implements TaskPlugin {
  readonly name = 'agent';
  private readonly clients = new Map<string, pb.AgentServiceClient>();

  constructor(private readonly options: AgentPluginOptions) {}

  private client(service: string): pb.AgentServiceClient | undefined {
    const existing = this.clients.get(service);
    if (existing) return existing;
    const endpoint = this.options.services[service];
    if (!endpoint) return undefined;
    const client = createClient(pb.AgentServiceClient, endpoint.address, {
      ...(endpoint.tls ? { tls: endpoint.tls } : {}),
      ...(endpoint.token ? { token: endpoint.token } : {}),
    });
    this.clients.set(service, client);
    return client;
  }

  /** One call with a deadline, retried on UNAVAILABLE / DEADLINE_EXCEEDED; abortable. */
  private async invoke<Req, Res>(
    method: Unary<Req, Res>,
    client: pb.AgentServiceClient,
    request: Req,
    what: string,
    signal?: AbortSignal,
  ): Promise<Res> {
    const retries = this.options.unavailableRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new AgentError('Aborted', `${what}: aborted`);
      try {
        return await new Promise<Res>((resolve, reject) => {
          const call = method.call(
            client,
            request,
            // The round's trace goes on to the agent (traceparent, as OTEL_PROPAGATORS says).
            injectTraceContext(new grpc.Metadata()),
            { deadline: deadlineIn(this.options.callTimeoutMs ?? 5_000) },
            (error, response) => {
              signal?.removeEventListener('abort', onAbort);
              if (error) reject(error);
              else resolve(response);
            },
          );
          const onAbort = () => call.cancel();
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      } catch (error) {
        if (signal?.aborted) throw new AgentError('Aborted', `${what}: aborted`, { cause: error });
        const transient =
          isServiceError(error) &&
          (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED);
        if (!transient) throw error;
        if (attempt >= retries)
          throw new AgentError(
            'Unavailable',
            `${what}: agent unavailable after ${attempt + 1} attempts (${grpc.status[error.code]})`,
            { cause: error },
          );
        const base = (this.options.retryBaseMs ?? 100) * 2 ** attempt;
        await sleep(base / 2 + Math.random() * (base / 2), signal);
      }
    }
  }

  async start(ctx: TaskContext, signal?: AbortSignal): Promise<TaskObservation> {
    if (readState(ctx)) return this.check(ctx, signal);
    const agent = ctx.task.agent;
    if (!agent)
      return failed({
        kind: 'system',
        reason: 'InvalidTask',
        message: `task ${ctx.taskName} has no agent block`,
        retryable: false,
      });
    const client = this.client(agent.service);
    if (!client)
      return failed({
        kind: 'system',
        reason: 'UnknownAgentService',
        message: `no agent service named "${agent.service}" is configured`,
        retryable: false,
      });
    const request: pb.CreateTaskRequest = {
      taskType: agent.service,
      inputsJson: JSON.stringify(ctx.inputs),
      configJson: JSON.stringify(agent.config ?? {}),
      idempotencyKey: idempotencyKey(ctx),
      metadata: {
        namespace: ctx.workflow.namespace,
        workflow: ctx.workflow.name,
        workflowUid: ctx.workflow.uid,
        nodeId: ctx.nodeId,
        attempt: ctx.attempt,
      },
    };
    let response: pb.CreateTaskResponse;
    try {
      response = await this.invoke(
        client.createTask as Unary<pb.CreateTaskRequest, pb.CreateTaskResponse>,
        client,
        request,
        `CreateTask ${agent.service}`,
        signal,
      );
    } catch (error) {
      if (isServiceError(error)) return failed(statusFailure(error, `CreateTask ${agent.service}`));
      throw error;
    }
    const pluginState: AgentState = {
      service: agent.service,
      resourceMeta: Buffer.from(response.resourceMeta).toString('base64'),
    };
    return { phase: 'Queued', pluginState, checkAfterMs: this.options.pollIntervalMs ?? 1_000 };
  }

  async check(ctx: TaskContext, signal?: AbortSignal): Promise<TaskObservation> {
    const state = readState(ctx);
    if (!state) return this.start({ ...ctx }, signal);
    const client = this.client(state.service);
    if (!client)
      return failed(
        {
          kind: 'system',
          reason: 'UnknownAgentService',
          message: `no agent service named "${state.service}" is configured`,
          retryable: false,
        },
        state,
      );
    let response: pb.GetTaskResponse;
    try {
      response = await this.invoke(
        client.getTask as Unary<pb.GetTaskRequest, pb.GetTaskResponse>,
        client,
        { taskType: state.service, resourceMeta: Buffer.from(state.resourceMeta, 'base64') },
        `GetTask ${state.service}`,
        signal,
      );
    } catch (error) {
      if (isServiceError(error)) return failed(statusFailure(error, `GetTask ${state.service}`), state);
      throw error;
    }
    const resource = response.resource;
    switch (resource?.phase) {
      case pb.TaskPhase.TASK_PHASE_SUCCEEDED: {
        let outputs: unknown;
        try {
          outputs = resource.outputsJson ? JSON.parse(resource.outputsJson) : {};
        } catch {
          outputs = undefined;
        }
        if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
          return failed(
            {
              kind: 'system',
              reason: 'InvalidOutputs',
              message: `agent ${state.service} returned outputs that are not a JSON object`,
            },
            state,
          );
        }
        return { phase: 'Succeeded', outputs: outputs as Record<string, JsonValue>, pluginState: state };
      }
      case pb.TaskPhase.TASK_PHASE_FAILED:
        return failed(
          {
            kind: resource.failureKind === pb.FailureKind.FAILURE_KIND_SYSTEM ? 'system' : 'user',
            reason: resource.failureReason || 'AgentTaskFailed',
            message: resource.message || `agent ${state.service} reported a failure`,
            ...(resource.retryable === undefined ? {} : { retryable: resource.retryable }),
          },
          state,
        );
      case pb.TaskPhase.TASK_PHASE_RUNNING:
      case pb.TaskPhase.TASK_PHASE_QUEUED:
        return {
          phase: resource.phase === pb.TaskPhase.TASK_PHASE_RUNNING ? 'Running' : 'Queued',
          ...(resource.message ? { message: resource.message } : {}),
          pluginState: state,
          checkAfterMs: this.options.pollIntervalMs ?? 1_000,
        };
      default:
        return failed(
          { kind: 'system', reason: 'AgentError', message: `agent ${state.service} returned no phase` },
          state,
        );
    }
  }

  async abort(ctx: TaskContext, signal?: AbortSignal): Promise<void> {
    const state = readState(ctx);
    const service = state?.service ?? ctx.task.agent?.service;
    const client = service ? this.client(service) : undefined;
    if (!service || !client) return;
    const request: pb.DeleteTaskRequest = {
      taskType: service,
      resourceMeta: state ? Buffer.from(state.resourceMeta, 'base64') : Buffer.alloc(0),
      idempotencyKey: idempotencyKey(ctx),
    };
    try {
      await this.invoke(
        client.deleteTask as Unary<pb.DeleteTaskRequest, pb.DeleteTaskResponse>,
        client,
        request,
        `DeleteTask ${service}`,
        signal,
      );
    } catch (error) {
      if (isServiceError(error) && error.code === grpc.status.NOT_FOUND) return;
      throw error;
    }
  }

  /** Closes every channel. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function createAgentPlugin(options: AgentPluginOptions): AgentPlugin {
  return new AgentPlugin(options);
}
