/** How the pod plugin reaches Pods: the controller passes a client-node adapter, `flotilla run` a simulation. */
import type { V1Pod } from '@kubernetes/client-node';

/**
 * Why the API server refused to create a Pod (an answer, not a failure to get one):
 * - `Forbidden` (403): a ResourceQuota is used up, or a policy refuses it. The API server's Status
 *   does not tell these apart except in its message, so the task waits visibly (showing that
 *   message) and tries again until its timeout.
 * - `Invalid` (400/422): the Pod can never be created as built; the task fails at once.
 */
export interface PodRefusal {
  readonly reason: 'Forbidden' | 'Invalid';
  /** The API server's message (names the quota, or the invalid fields). */
  readonly message: string;
}

export interface PodGateway {
  /**
   * Creates the Pod. `{ created: false }` when one of that name exists already (AlreadyExists: the
   * attempt was started); `refused` when the API server answered no (see {@link PodRefusal}).
   * Throws when it could not find out (the server unreachable).
   */
  create(pod: V1Pod, signal?: AbortSignal): Promise<{ created: boolean; refused?: PodRefusal }>;
  /** The Pod, or `undefined` when it does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<V1Pod | undefined>;
  /** Deletes the Pod; a missing Pod is not an error. */
  delete(namespace: string, name: string, signal?: AbortSignal): Promise<void>;
}
