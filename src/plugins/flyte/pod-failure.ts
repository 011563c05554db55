/**
 * A Flyte task Pod that failed without writing error.pb, classified by FlytePropeller's rules
 * (flyteplugins v1.16.8 `flytek8s.DemystifyFailure`, written from its behaviour). Pure.
 *
 * - The Pod's `status.reason` is a node shutdown (`Shutdown`, `Terminated`, `NodeShutdown`,
 *   `NodeAffinity`) → system failure `Interrupted`, retryable.
 * - A container terminated `OOMKilled` → user failure `OOMKilled`, retryable (the task asked for
 *   too little memory: Flyte counts it against the user's retries).
 * - The primary container killed by SIGKILL (exit 137 or 247) → system failure `Interrupted`.
 * - Any other Pod `status.reason` (e.g. `Evicted`) → user failure with that code, retryable.
 * - Nothing said why (a plain non-zero exit, no reason) → system failure `Interrupted`: Flyte
 *   assumes the kubelet had no time to record a cause.
 * The message is the Pod's (or "Pod failed. No message received from kubernetes.") followed by one
 * line per terminated container with its exit code, reason and termination message.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { TaskObservation } from '../../engine/plugins.js';
import { failed } from './collect.js';

const NODE_SHUTDOWN_REASONS = new Set(['Shutdown', 'Terminated', 'NodeShutdown', 'NodeAffinity']);
const SIGKILL = 137;
const UNSIGNED_SIGKILL = 247;

export function demystifyFailure(pod: V1Pod): TaskObservation {
  const status = pod.status;
  let code = status?.reason !== undefined && status.reason !== '' ? status.reason : 'UnknownError';
  let message =
    status?.message !== undefined && status.message !== ''
      ? status.message
      : 'Pod failed. No message received from kubernetes.';
  let system = NODE_SHUTDOWN_REASONS.has(code);
  const primary = pod.spec?.containers[0]?.name;
  const statuses: V1ContainerStatus[] = [
    ...(status?.initContainerStatuses ?? []),
    ...(status?.containerStatuses ?? []),
  ];
  for (const c of statuses) {
    const terminated = c.lastState?.terminated ?? c.state?.terminated;
    if (!terminated) continue;
    if ((terminated.reason ?? '').includes('OOMKilled')) code = 'OOMKilled';
    else if (terminated.exitCode === SIGKILL || terminated.exitCode === UNSIGNED_SIGKILL) {
      code = 'Interrupted';
      if (c.name === primary) system = true;
    }
    message +=
      terminated.exitCode === 0
        ? `\r\n[${c.name}] terminated with ExitCode 0.`
        : `\r\n[${c.name}] terminated with exit code (${terminated.exitCode}). Reason [${terminated.reason ?? ''}]. Message: \n${terminated.message ?? ''}.`;
  }
  if (code === 'UnknownError') system = true;
  return system ? failed('system', 'Interrupted', message, true) : failed('user', code, message, true);
}
