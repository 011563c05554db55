/**
 * Pure builders of the Pod statuses the simulated kubelet writes, one per stage. Each returns the
 * whole `status` (a merge patch replaces lists wholesale, so conditions and container statuses are
 * always written complete). Timestamps are RFC 3339 with second precision, as Kubernetes stores them.
 */
import type { V1Pod } from '@kubernetes/client-node';

/** A Pod condition as written on the wire. */
export interface WireCondition {
  type: string;
  status: 'True' | 'False';
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface WireContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: {
    exitCode: number;
    reason: string;
    message?: string;
    startedAt?: string;
    finishedAt: string;
    containerID?: string;
  };
}

export interface WireContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: WireContainerState;
  lastState: Record<string, never>;
}

export interface WirePodStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  conditions: WireCondition[];
  containerStatuses: WireContainerStatus[];
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  reason?: string;
  message?: string;
  qosClass: string;
}

/** Kubernetes' `metav1.Time` form: RFC 3339, whole seconds, UTC. */
export function wireTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds of a timestamp that may be a string (watch events) or a Date (typed list results). */
export function timeMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export const hostIP = '10.0.0.1';

/** A stable fake Pod IP in 10.244.0.0/16, derived from the Pod's uid. */
export function podIPFor(uid: string): string {
  let h = 2166136261;
  for (let i = 0; i < uid.length; i++) h = Math.imul(h ^ uid.charCodeAt(i), 16777619);
  const n = ((h >>> 0) % 65534) + 1;
  return `10.244.${n >> 8}.${n & 255}`;
}

interface Context {
  pod: V1Pod;
  now: number;
}

function conditionTypes(pod: V1Pod): Map<string, { status: string; at: number | undefined }> {
  const found = new Map<string, { status: string; at: number | undefined }>();
  for (const c of pod.status?.conditions ?? [])
    found.set(c.type, { status: c.status, at: timeMs(c.lastTransitionTime) });
  return found;
}

/** Builds the conditions, keeping lastTransitionTime where a condition's status does not change. */
function conditions(ctx: Context, wanted: { type: string; ok: boolean; reason?: string }[]): WireCondition[] {
  const previous = conditionTypes(ctx.pod);
  return wanted.map(({ type, ok, reason }) => {
    const status = ok ? 'True' : 'False';
    const before = previous.get(type);
    const at = before && before.status === status && before.at !== undefined ? before.at : ctx.now;
    const condition: WireCondition = { type, status, lastProbeTime: null, lastTransitionTime: wireTime(at) };
    if (reason) condition.reason = reason;
    return condition;
  });
}

function containers(pod: V1Pod): { name: string; image: string }[] {
  return (pod.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '' }));
}

function containerID(pod: V1Pod, name: string): string {
  return `sim://${pod.metadata?.uid ?? 'unknown'}/${name}`;
}

function qosClass(pod: V1Pod): string {
  const resources = (pod.spec?.containers ?? []).map((c) => c.resources ?? {});
  if (resources.every((r) => Object.keys(r.requests ?? {}).length === 0 && Object.keys(r.limits ?? {}).length === 0))
    return 'BestEffort';
  return 'Burstable';
}

function base(
  ctx: Context,
  phase: WirePodStatus['phase'],
): Pick<WirePodStatus, 'phase' | 'hostIP' | 'hostIPs' | 'qosClass'> {
  return { phase, hostIP, hostIPs: [{ ip: hostIP }], qosClass: qosClass(ctx.pod) };
}

/** Scheduled and creating containers: Pending, waiting ContainerCreating (or an image pull failure). */
export function pendingStatus(
  pod: V1Pod,
  now: number,
  waitingReason = 'ContainerCreating',
  waitingMessage?: string,
): WirePodStatus {
  const ctx = { pod, now };
  const waiting: { reason: string; message?: string } = { reason: waitingReason };
  if (waitingMessage) waiting.message = waitingMessage;
  return {
    ...base(ctx, 'Pending'),
    conditions: conditions(ctx, [
      { type: 'PodScheduled', ok: true },
      { type: 'Initialized', ok: true },
      { type: 'ContainersReady', ok: false, reason: 'ContainersNotReady' },
      { type: 'Ready', ok: false, reason: 'ContainersNotReady' },
    ]),
    containerStatuses: containers(pod).map((c) => ({
      ...c,
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting },
      lastState: {},
    })),
    startTime: wireTime(timeMs(pod.status?.startTime) ?? now),
  };
}

/** Every container running and ready. */
export function runningStatus(pod: V1Pod, now: number, startedAt: number): WirePodStatus {
  const ctx = { pod, now };
  const ip = podIPFor(pod.metadata?.uid ?? pod.metadata?.name ?? '');
  return {
    ...base(ctx, 'Running'),
    conditions: conditions(ctx, [
      { type: 'PodScheduled', ok: true },
      { type: 'Initialized', ok: true },
      { type: 'ContainersReady', ok: true },
      { type: 'Ready', ok: true },
    ]),
    containerStatuses: containers(pod).map((c) => ({
      ...c,
      imageID: `sim://${c.image}`,
      containerID: containerID(pod, c.name),
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: wireTime(startedAt) } },
      lastState: {},
    })),
    podIP: ip,
    podIPs: [{ ip }],
    startTime: wireTime(timeMs(pod.status?.startTime) ?? startedAt),
  };
}

/** The most a kubelet keeps of a container's termination message (`MaxContainerTerminationMessageLength`). */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;

/**
 * The termination message as a real kubelet reports it: at most 4096 bytes, the last ones (it reads
 * the message file from its end), so a longer message loses its beginning. A UTF-8 sequence cut at
 * the start is dropped.
 */
export function capTerminationMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= MAX_TERMINATION_MESSAGE_BYTES) return message;
  let start = bytes.length - MAX_TERMINATION_MESSAGE_BYTES;
  // Skip continuation bytes (10xxxxxx) so the kept part starts on a character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

export interface Termination {
  phase: 'Succeeded' | 'Failed';
  exitCode: number;
  /** The containers' terminated reason: Completed, Error, OOMKilled. */
  reason: string;
  /** The termination message; only the first container carries it, capped by {@link capTerminationMessage}. */
  message?: string;
  /** The Pod's own `status.reason` (e.g. Evicted). */
  podReason?: string;
  podMessage?: string;
}

/** Every container terminated; the Pod in a terminal phase. */
export function terminatedStatus(
  pod: V1Pod,
  now: number,
  startedAt: number | undefined,
  t: Termination,
): WirePodStatus {
  const ctx = { pod, now };
  const ip = podIPFor(pod.metadata?.uid ?? pod.metadata?.name ?? '');
  const reason = t.phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
  const status: WirePodStatus = {
    ...base(ctx, t.phase),
    conditions: conditions(ctx, [
      { type: 'PodScheduled', ok: true },
      { type: 'Initialized', ok: true, ...(t.phase === 'Succeeded' ? { reason: 'PodCompleted' } : {}) },
      { type: 'ContainersReady', ok: false, reason },
      { type: 'Ready', ok: false, reason },
    ]),
    containerStatuses: containers(pod).map((c, index) => {
      const terminated: NonNullable<WireContainerState['terminated']> = {
        exitCode: t.exitCode,
        reason: t.reason,
        finishedAt: wireTime(now),
        containerID: containerID(pod, c.name),
      };
      if (startedAt !== undefined) terminated.startedAt = wireTime(startedAt);
      if (index === 0 && t.message !== undefined) terminated.message = capTerminationMessage(t.message);
      return {
        ...c,
        imageID: `sim://${c.image}`,
        containerID: containerID(pod, c.name),
        ready: false,
        started: false,
        restartCount: 0,
        state: { terminated },
        lastState: {},
      };
    }),
    podIP: ip,
    podIPs: [{ ip }],
    startTime: wireTime(timeMs(pod.status?.startTime) ?? startedAt ?? now),
  };
  if (t.podReason) status.reason = t.podReason;
  if (t.podMessage) status.message = t.podMessage;
  return status;
}
