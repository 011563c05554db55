/**
 * A native pod task's outputs file. A Pod whose container has `FLOTILLA_OUTPUTS_URI` (set by the
 * controller when it has a blob store) writes its outputs there, as a real task would to escape
 * the termination message's 4 KiB: when the container succeeds, the kubelet writes the Pod's
 * `flotilla.io/sim-message` to that URI in its blob store and leaves the termination message
 * empty. Without a store, or without the variable, the message stays the termination message.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { OUTPUTS_URI_ENV } from '../../src/plugins/pod/build.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { Annotations } from './annotations.js';
import type { WirePodStatus } from './status.js';

/** The outputs URI of the Pod's first container, when it has one. */
export function outputsUriOf(pod: V1Pod): string | undefined {
  return pod.spec?.containers[0]?.env?.find((e) => e.name === OUTPUTS_URI_ENV)?.value;
}

/**
 * Writes the Pod's simulated outputs to its outputs URI when `status` says it succeeded, and
 * returns the status without the termination message; otherwise returns `status` unchanged.
 * A storage error is thrown (the kubelet retries the step, as a container stuck on its upload).
 */
export async function writeOutputsFile(pod: V1Pod, status: WirePodStatus, store: BlobStore): Promise<WirePodStatus> {
  const uri = outputsUriOf(pod);
  const message = pod.metadata?.annotations?.[Annotations.message];
  if (uri === undefined || message === undefined || status.phase !== 'Succeeded') return status;
  await store.put(uri, Buffer.from(message), { contentType: 'application/json' });
  return {
    ...status,
    containerStatuses: (status.containerStatuses ?? []).map((c) => {
      const terminated = c.state?.terminated;
      if (terminated?.message === undefined) return c;
      const { message: _written, ...rest } = terminated;
      return { ...c, state: { ...c.state, terminated: rest } };
    }),
  };
}
