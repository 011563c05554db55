/**
 * Sends FlyteWorkflow execution events to FlyteAdmin (`flyteidl.service.AdminService`
 * `CreateWorkflowEvent` / `CreateNodeEvent` / `CreateTaskEvent`) and says how admin took each,
 * as FlytePropeller's event sink reads admin's answers (flytepropeller/events/errors):
 *
 * | admin answers | outcome | |
 * | --- | --- | --- |
 * | OK | `recorded` | |
 * | AlreadyExists | `duplicate` | the same phase (and phase version) was recorded: success |
 * | FailedPrecondition + EventFailureReason.alreadyInTerminalState | `terminal` | the entity already ended |
 * | FailedPrecondition + EventFailureReason.incompatibleCluster | `incompatibleCluster` | another cluster runs the execution |
 * | NotFound | `notFound` | admin has no such execution |
 * | InvalidArgument, other FailedPrecondition | `rejected` | sending it again gives the same answer |
 * | anything else (Unavailable, DeadlineExceeded, ResourceExhausted, Unauthenticated, ...) | throws `AdminError('Unavailable')` | retry later |
 *
 * Events are sent one at a time in the given order (admin creates a node execution from its first
 * event, and a task event needs its node); the first retryable failure stops the batch and throws,
 * so the caller re-sends the whole batch later (what admin already has answers AlreadyExists).
 * What to do with each outcome is the caller's policy (src/controller/flyte/admin-policy.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { AdminServiceClient } from '../../generated/flyteidl/flyteidl/service/admin.js';
import type { Execution, ExecutionCreateRequest } from '../../generated/flyteidl/flyteidl/admin/execution.js';
import type {
  NodeExecution,
  NodeExecutionGetDataResponse,
} from '../../generated/flyteidl/flyteidl/admin/node_execution.js';
import type { AdminEvent } from '../../flyte/events/admin-events.js';
import {
  channelCredentials,
  clientOptions,
  deadlineIn,
  isServiceError,
  type ClientTlsOptions,
} from '../../security/grpc.js';
import { tokenSource, type AdminAuth, type TokenSource } from './auth.js';
import { AdminError } from './errors.js';
import type { EventFailureReason } from '../../generated/flyteidl/flyteidl/admin/event.js';
import { decodeEventFailureReason, STATUS_DETAILS_KEY } from './status-details.js';

export type AdminOutcome = 'recorded' | 'duplicate' | 'terminal' | 'incompatibleCluster' | 'notFound' | 'rejected';

export interface AdminResult {
  readonly event: AdminEvent;
  readonly outcome: AdminOutcome;
  /** Admin's message for anything but `recorded`. */
  readonly detail?: string;
  /** `terminal`: the phase admin holds (for a workflow event, the execution's phase name). */
  readonly currentPhase?: string;
}

/** What the Flyte round needs of an admin client. */
export interface AdminEventRecorder {
  /** Sends `events` in order; throws `AdminError('Unavailable' | 'AuthFailed')` (retryable) when one could not be delivered. */
  record(events: readonly AdminEvent[]): Promise<AdminResult[]>;
}

export interface AdminClientOptions {
  /** FlyteAdmin's gRPC `host:port` (`dns:///flyteadmin:81`). */
  readonly endpoint: string;
  /** TLS (the system roots unless `tls.caPem`); `insecure` sends plaintext (loopback or a mesh only). */
  readonly tls?: ClientTlsOptions;
  readonly insecure?: boolean;
  /** A bearer token on every call. */
  readonly auth?: AdminAuth;
  /** Deadline of one call. @defaultValue 10000 */
  readonly callTimeoutMs?: number;
  /** For tests: the token fetcher of client credentials. */
  readonly fetch?: typeof fetch;
}

export class AdminEventClient implements AdminEventRecorder {
  private readonly client: AdminServiceClient;
  private readonly tokens: TokenSource | undefined;

  constructor(private readonly options: AdminClientOptions) {
    if (!options.insecure && options.tls === undefined && options.endpoint === '')
      throw new AdminError('InvalidConfig', 'admin endpoint is empty');
    this.tokens = options.auth ? tokenSource(options.auth, options.fetch) : undefined;
    const credentials = options.insecure ? grpc.credentials.createInsecure() : channelCredentials(options.tls ?? {});
    const base = clientOptions(options.tls ? { tls: options.tls } : {});
    const tokens = this.tokens;
    this.client = new AdminServiceClient(options.endpoint, credentials, {
      ...base,
      ...(tokens ? { interceptors: [bearerInterceptor(tokens)] } : {}),
    });
  }

  async record(events: readonly AdminEvent[]): Promise<AdminResult[]> {
    const results: AdminResult[] = [];
    for (const event of events) results.push(await this.recordOne(event));
    return results;
  }

  private async recordOne(event: AdminEvent): Promise<AdminResult> {
    try {
      await this.call(event);
      return { event, outcome: 'recorded' };
    } catch (error) {
      if (error instanceof AdminError) throw error;
      if (!isServiceError(error))
        throw new AdminError('Unavailable', `admin ${this.options.endpoint}: ${String(error)}`, { cause: error });
      const outcome = outcomeOf(error);
      const currentPhase = terminalPhaseOf(error);
      if (outcome === undefined)
        throw new AdminError(
          'Unavailable',
          `admin ${this.options.endpoint} ${grpc.status[error.code] ?? error.code}: ${error.details}`,
          { cause: error },
        );
      return { event, outcome, detail: error.details, ...(currentPhase !== undefined ? { currentPhase } : {}) };
    }
  }

  private call(event: AdminEvent): Promise<void> {
    const options = { deadline: deadlineIn(this.options.callTimeoutMs ?? 10_000) };
    const metadata = new grpc.Metadata();
    return new Promise<void>((resolve, reject) => {
      const done = (error: grpc.ServiceError | null) => (error ? reject(error) : resolve());
      switch (event.kind) {
        case 'workflow':
          this.client.createWorkflowEvent({ requestId: event.requestId, event: event.event }, metadata, options, done);
          return;
        case 'node':
          this.client.createNodeEvent({ requestId: event.requestId, event: event.event }, metadata, options, done);
          return;
        case 'task':
          this.client.createTaskEvent({ requestId: event.requestId, event: event.event }, metadata, options, done);
          return;
      }
    });
  }

  /** CreateExecution; false when admin has the name already (AlreadyExists). Throws `AdminError` otherwise. */
  createExecution(request: ExecutionCreateRequest): Promise<boolean> {
    const options = { deadline: deadlineIn(this.options.callTimeoutMs ?? 10_000) };
    return new Promise<boolean>((resolve, reject) => {
      this.client.createExecution(request, new grpc.Metadata(), options, (error) => {
        if (!error) resolve(true);
        else if (error.code === grpc.status.ALREADY_EXISTS) resolve(false);
        else reject(this.failure('CreateExecution', error));
      });
    });
  }

  /** GetExecution. Throws `AdminError` (NotFound included: a child it was told to start must exist). */
  getExecution(id: { project: string; domain: string; name: string }): Promise<Execution> {
    const options = { deadline: deadlineIn(this.options.callTimeoutMs ?? 10_000) };
    return new Promise<Execution>((resolve, reject) => {
      this.client.getExecution({ id: { ...id, org: '' } }, new grpc.Metadata(), options, (error, execution) => {
        if (error) reject(this.failure('GetExecution', error));
        else resolve(execution);
      });
    });
  }

  /** GetNodeExecution (recovery); `undefined` when admin has no such node execution. Throws `AdminError` otherwise. */
  getNodeExecution(id: NodeExecutionRef): Promise<NodeExecution | undefined> {
    const options = { deadline: deadlineIn(this.options.callTimeoutMs ?? 10_000) };
    return new Promise<NodeExecution | undefined>((resolve, reject) => {
      this.client.getNodeExecution({ id: nodeExecutionId(id) }, new grpc.Metadata(), options, (error, execution) => {
        if (!error) resolve(execution);
        else if (error.code === grpc.status.NOT_FOUND) resolve(undefined);
        else reject(this.failure('GetNodeExecution', error));
      });
    });
  }

  /** GetNodeExecutionData (recovery: a node's outputs, inline or by URL). Throws `AdminError`. */
  getNodeExecutionData(id: NodeExecutionRef): Promise<NodeExecutionGetDataResponse> {
    const options = { deadline: deadlineIn(this.options.callTimeoutMs ?? 10_000) };
    return new Promise<NodeExecutionGetDataResponse>((resolve, reject) => {
      this.client.getNodeExecutionData({ id: nodeExecutionId(id) }, new grpc.Metadata(), options, (error, data) => {
        if (error) reject(this.failure('GetNodeExecutionData', error));
        else resolve(data);
      });
    });
  }

  private failure(call: string, error: grpc.ServiceError): AdminError {
    return new AdminError(
      'Unavailable',
      `admin ${this.options.endpoint} ${call}: ${grpc.status[error.code] ?? error.code}: ${error.details}`,
      { cause: error },
    );
  }

  close(): void {
    this.client.close();
  }
}

function failureReasonOf(error: grpc.ServiceError): EventFailureReason | undefined {
  const details = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  return details instanceof Buffer ? decodeEventFailureReason(details) : undefined;
}

/** The phase an alreadyInTerminalState refusal names. */
function terminalPhaseOf(error: grpc.ServiceError): string | undefined {
  const reason = failureReasonOf(error)?.reason;
  return reason?.$case === 'alreadyInTerminalState' ? reason.alreadyInTerminalState.currentPhase : undefined;
}

/** How admin took an event, from its error; undefined when the error is worth retrying. */
export function outcomeOf(error: grpc.ServiceError): AdminOutcome | undefined {
  switch (error.code) {
    case grpc.status.ALREADY_EXISTS:
      return 'duplicate';
    case grpc.status.NOT_FOUND:
      return 'notFound';
    case grpc.status.INVALID_ARGUMENT:
      return 'rejected';
    case grpc.status.FAILED_PRECONDITION: {
      const reason = failureReasonOf(error);
      if (reason?.reason?.$case === 'alreadyInTerminalState') return 'terminal';
      if (reason?.reason?.$case === 'incompatibleCluster') return 'incompatibleCluster';
      return 'rejected';
    }
    default:
      return undefined;
  }
}

/** Adds `authorization: Bearer <token>` to each call once the token source answers. */
function bearerInterceptor(tokens: TokenSource): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        tokens.token().then(
          (token) => {
            metadata.set('authorization', `Bearer ${token}`);
            next(metadata, listener);
          },
          (error: unknown) => {
            // No token: fail the call as UNAUTHENTICATED without sending it.
            const message = error instanceof Error ? error.message : String(error);
            listener.onReceiveStatus?.({
              code: grpc.status.UNAUTHENTICATED,
              details: message,
              metadata: new grpc.Metadata(),
            });
          },
        );
      },
    });
}

/** A node execution: the execution and the node id as events reported it. */
export interface NodeExecutionRef {
  readonly execution: { readonly project: string; readonly domain: string; readonly name: string };
  readonly nodeId: string;
}

function nodeExecutionId(id: NodeExecutionRef): {
  nodeId: string;
  executionId: { project: string; domain: string; name: string; org: string };
} {
  return { nodeId: id.nodeId, executionId: { ...id.execution, org: '' } };
}
