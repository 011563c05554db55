/** How the pod plugin reaches Pods: the controller passes a client-node adapter, `flotilla run` a simulation. */
import type { V1Pod } from '@kubernetes/client-node';

export interface PodGateway {
  /** Creates the Pod. `{ created: false }` when one of that name exists already (AlreadyExists: the attempt was started). */
  create(pod: V1Pod, signal?: AbortSignal): Promise<{ created: boolean }>;
  /** The Pod, or `undefined` when it does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<V1Pod | undefined>;
  /** Deletes the Pod; a missing Pod is not an error. */
  delete(namespace: string, name: string, signal?: AbortSignal): Promise<void>;
}
