/**
 * The console's writes, made with the caller's own rights: abort (delete, as `flotilla abort`
 * does: the owning replica's finalizer stops running tasks) and a gate's signal (the annotation
 * merge patch of `flotilla signal`, through src/signals). Nothing here decides who may act: the
 * API server's RBAC does, and its 403 message is passed to the page as it is.
 *
 * Who "the caller" is: a request with the console's own token acts as the console's kubeconfig
 * identity (the user who started `flotilla console`); any other bearer token is a Kubernetes token
 * and the call goes to the API server with it, so RBAC sees that user (see security.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { JsonValue } from '../api/schema.js';
import { KubeError } from '../kube/errors.js';
import { WorkflowClient } from '../kube/workflow-client.js';
import { SignalError } from '../signals/errors.js';
import { WorkflowSignals } from '../signals/workflows.js';
import { ConsoleError } from './errors.js';

/** Who acts: the console's own kubeconfig identity, or a Kubernetes bearer token the caller gave. */
export type Caller = { kind: 'console' } | { kind: 'token'; token: string };

/** The console's kubeconfig with its user replaced by a bearer token (same cluster, same CA). */
export function kubeConfigForToken(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new ConsoleError('Internal', 'the console has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'console-caller', token }],
    contexts: [{ name: 'console-caller', cluster: cluster.name, user: 'console-caller' }],
    currentContext: 'console-caller',
  });
  return kc;
}

export class Actions {
  constructor(private readonly kubeConfig: KubeConfig) {}

  private configFor(caller: Caller): KubeConfig {
    return caller.kind === 'console' ? this.kubeConfig : kubeConfigForToken(this.kubeConfig, caller.token);
  }

  /** Deletes the Workflow (abort). A refusal keeps the API server's message. */
  async abort(caller: Caller, namespace: string, name: string): Promise<void> {
    try {
      await new WorkflowClient(this.configFor(caller)).delete(namespace, name);
    } catch (error) {
      throw fromKube(error);
    }
  }

  /** Sets a gate's signal (approve is `true` on the approve gate's signal). */
  async signal(
    caller: Caller,
    namespace: string,
    name: string,
    signal: string,
    value: JsonValue,
    setBy: string,
  ): Promise<void> {
    try {
      await new WorkflowSignals(this.configFor(caller), { timeoutMs: 10_000 }).set(
        namespace,
        name,
        signal,
        { value },
        setBy,
      );
    } catch (error) {
      if (error instanceof SignalError) {
        const kube = error.cause instanceof KubeError ? error.cause : undefined;
        if (kube) throw fromKube(kube);
        throw new ConsoleError(error.code === 'WorkflowNotFound' ? 'NotFound' : 'BadRequest', error.message, {
          cause: error,
        });
      }
      throw fromKube(error);
    }
  }
}

/** A Kubernetes refusal as the console answers it: the HTTP status and the API server's own message. */
function fromKube(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof KubeError) {
    const message = error.serverMessage ?? error.message;
    if (error.status === 401) return new ConsoleError('Unauthorized', message, { cause: error });
    if (error.code === 'Forbidden') return new ConsoleError('Forbidden', message, { cause: error });
    if (error.code === 'NotFound') return new ConsoleError('NotFound', message, { cause: error });
    if (error.code === 'Invalid') return new ConsoleError('BadRequest', message, { cause: error });
    return new ConsoleError('Unavailable', error.message, { cause: error });
  }
  return new ConsoleError('Internal', error instanceof Error ? error.message : String(error), { cause: error });
}
