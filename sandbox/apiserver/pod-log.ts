/**
 * `GET pods/NAME/log`: there are no real containers, so the log is what the simulated kubelet
 * knows of the run, as text: when the container started, the lines of the
 * `flotilla.io/sim-log` annotation (a test or example can script what the task "prints"), and how
 * it ended with its termination message (the task's outputs). Like the real server: 400 while the
 * container is waiting to start, 400 for an unknown container or a pod of several containers
 * without `container`. Pure: the pod in, text out.
 */
import { badRequest } from './errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { isObject } from './types.js';
import { containersOf } from './pods.js';

/** Lines the simulated container "prints" (newline-separated), before its exit. */
export const SIM_LOG_ANNOTATION = 'flotilla.io/sim-log';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function podLogText(pod: KubeObject, container: string | null): string {
  const name = pod.metadata.name ?? '';
  const names = containersOf(pod).map((c) => str(c['name']) ?? '');
  const chosen = container ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined)
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
  if (!names.includes(chosen)) throw badRequest(`container ${chosen} is not valid for pod ${name}`);
  const status = isObject(pod['status']) ? pod['status'] : {};
  const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'].filter(isObject) : [];
  const state: JsonObject = (statuses.find((s) => s['name'] === chosen)?.['state'] as JsonObject | undefined) ?? {};
  const running = isObject(state['running']) ? state['running'] : undefined;
  const terminated = isObject(state['terminated']) ? state['terminated'] : undefined;
  if (running === undefined && terminated === undefined) {
    const reason = isObject(state['waiting'])
      ? (str(state['waiting']['reason']) ?? 'ContainerCreating')
      : 'ContainerCreating';
    throw badRequest(`container "${chosen}" in pod "${name}" is waiting to start: ${reason}`);
  }
  const lines = [
    `[simulated kubelet] container ${chosen} started at ${str(running?.['startedAt']) ?? str(terminated?.['startedAt']) ?? 'an unknown time'}`,
  ];
  const scripted = pod.metadata.annotations?.[SIM_LOG_ANNOTATION];
  if (scripted !== undefined && scripted !== '') lines.push(...scripted.replace(/\n$/, '').split('\n'));
  if (terminated !== undefined) {
    lines.push(
      `[simulated kubelet] container ${chosen} exited with code ${String(terminated['exitCode'] ?? '?')} (${str(terminated['reason']) ?? 'Unknown'}) at ${str(terminated['finishedAt']) ?? 'an unknown time'}`,
    );
    const message = str(terminated['message']);
    if (message !== undefined && message !== '') lines.push(`[simulated kubelet] termination message: ${message}`);
  }
  return `${lines.join('\n')}\n`;
}
