/**
 * The kubelet's pure decision: given a Pod as last seen, what this kubelet remembers writing for
 * it, and the time, which single step comes next and when to look again. Level-based: the step
 * depends only on state, never on which event woke the kubelet, so a repeated or late wake-up is
 * harmless.
 *
 * Stage timeline (each transition is one status write through `/status`):
 * new → (bind) scheduled: Pending, ContainerCreating → after `pendingMs` running: Running, Ready →
 * after the run duration terminated: Succeeded / Failed. A deletionTimestamp on a live Pod
 * terminates it (exit 143) and deletes it with gracePeriodSeconds=0.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { readSimSpec } from './annotations.js';
import {
  pendingStatus,
  runningStatus,
  terminatedStatus,
  timeMs,
  type Termination,
  type WirePodStatus,
} from './status.js';

export const StageOrder = ['new', 'scheduled', 'running', 'terminated', 'gone'] as const;
export type Stage = (typeof StageOrder)[number];

/**
 * What the kubelet remembers of its own writes, per Pod uid. It is ahead of the informer cache
 * right after a write, and it holds the exact (millisecond) anchors of the timers; after a kubelet
 * restart it is empty and the anchors come back from the Pod's (whole-second) timestamps.
 */
export interface PodMemory {
  uid: string;
  stage: Stage;
  scheduledAt?: number;
  startedAt?: number;
  /** The image pull failure already written: ErrImagePull then ImagePullBackOff. */
  pull?: 'ErrImagePull' | 'ImagePullBackOff';
  pullAt?: number;
}

export interface StageConfig {
  nodeName: string;
  pendingMs: number;
  runMs: number;
}

/** One step. The kubelet performs `bind`, then `status`, then `delete`, remembering `remember` after success. */
export interface Step {
  bind?: boolean;
  status?: WirePodStatus;
  delete?: boolean;
  remember: Partial<PodMemory>;
  /** Look again after this many ms (an exact timer for the next transition). */
  requeueAfterMs?: number;
  /**
   * Set when the step ends the container's normal run (not a kill, OOM or eviction): a container
   * with real work (the Flyte stand-in, ./flyte.ts) does it now, and its exit replaces `status`.
   */
  completes?: { startedAt: number };
}

/** The stage a Pod's status shows. */
export function observedStage(pod: V1Pod): Stage {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'terminated';
  if (phase === 'Running') return 'running';
  const scheduled = pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True');
  if (scheduled && pod.spec?.nodeName) return 'scheduled';
  return 'new';
}

function later(a: Stage, b: Stage): Stage {
  return StageOrder.indexOf(a) >= StageOrder.indexOf(b) ? a : b;
}

/** Whether this kubelet is responsible for the Pod (unscheduled, or scheduled on its node). */
export function isMine(pod: V1Pod, nodeName: string): boolean {
  const node = pod.spec?.nodeName;
  return node === undefined || node === '' || node === nodeName;
}

const killed: Termination = { phase: 'Failed', exitCode: 143, reason: 'Error' };

/** Decides the next step for a Pod, or `undefined` when there is nothing to do now or later. */
export function decide(pod: V1Pod, memory: PodMemory | undefined, now: number, config: StageConfig): Step | undefined {
  if (!isMine(pod, config.nodeName)) return undefined;
  const uid = pod.metadata?.uid ?? '';
  const mem = memory && memory.uid === uid ? memory : undefined;
  const stage = later(observedStage(pod), mem?.stage ?? 'new');
  if (stage === 'gone') return undefined;
  const startedAt = mem?.startedAt ?? timeMs(pod.status?.startTime);

  if (pod.metadata?.deletionTimestamp) {
    if (stage === 'terminated' || stage === 'new') return { delete: true, remember: { stage: 'gone' } };
    return {
      status: terminatedStatus(pod, now, stage === 'running' ? startedAt : undefined, killed),
      delete: true,
      remember: { stage: 'gone' },
    };
  }

  switch (stage) {
    case 'new':
      return {
        bind: !pod.spec?.nodeName,
        status: pendingStatus(pod, now),
        remember: { stage: 'scheduled', scheduledAt: now },
        requeueAfterMs: config.pendingMs,
      };
    case 'scheduled':
      return fromScheduled(pod, mem, now, config);
    case 'running':
      return fromRunning(pod, startedAt ?? now, now, config);
    case 'terminated':
      return undefined;
  }
}

function fromScheduled(pod: V1Pod, mem: PodMemory | undefined, now: number, config: StageConfig): Step | undefined {
  const scheduledCondition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const scheduledAt = mem?.scheduledAt ?? timeMs(scheduledCondition?.lastTransitionTime) ?? now;
  const due = scheduledAt + config.pendingMs;
  if (now < due) return { remember: {}, requeueAfterMs: due - now };
  const sim = readSimSpec(pod.metadata?.annotations, simDefaults(pod, config));
  if (sim.failure === 'ImagePullBackOff') {
    const shown = mem?.pull ?? waitingReason(pod);
    if (shown !== 'ErrImagePull' && shown !== 'ImagePullBackOff') {
      return {
        status: pendingStatus(
          pod,
          now,
          'ErrImagePull',
          `failed to pull image "${firstImage(pod)}": simulated pull failure`,
        ),
        remember: { pull: 'ErrImagePull', pullAt: now },
        requeueAfterMs: config.pendingMs,
      };
    }
    if (shown === 'ErrImagePull') {
      const pullDue = (mem?.pullAt ?? now) + config.pendingMs;
      if (now < pullDue) return { remember: {}, requeueAfterMs: pullDue - now };
      return {
        status: pendingStatus(pod, now, 'ImagePullBackOff', `Back-off pulling image "${firstImage(pod)}"`),
        remember: { pull: 'ImagePullBackOff', pullAt: now },
      };
    }
    return undefined;
  }
  const runMs = sim.runMs;
  return {
    status: runningStatus(pod, now, now),
    remember: { stage: 'running', startedAt: now },
    ...(runMs === undefined ? {} : { requeueAfterMs: runMs }),
  };
}

function fromRunning(pod: V1Pod, startedAt: number, now: number, config: StageConfig): Step | undefined {
  const sim = readSimSpec(pod.metadata?.annotations, simDefaults(pod, config));
  if (sim.runMs === undefined) return undefined;
  const due = startedAt + sim.runMs;
  if (now < due) return { remember: {}, requeueAfterMs: due - now };
  switch (sim.failure) {
    case 'Lost':
      return { delete: true, remember: { stage: 'gone' } };
    case 'OOMKilled':
      return {
        status: terminatedStatus(pod, now, startedAt, { phase: 'Failed', exitCode: 137, reason: 'OOMKilled' }),
        remember: { stage: 'terminated' },
      };
    case 'Evicted':
      return {
        status: terminatedStatus(pod, now, startedAt, {
          phase: 'Failed',
          exitCode: 137,
          reason: 'Error',
          podReason: 'Evicted',
          podMessage: 'The node was low on resource: memory. (simulated eviction)',
        }),
        remember: { stage: 'terminated' },
      };
    default: {
      const t: Termination =
        sim.exitCode === 0
          ? { phase: 'Succeeded', exitCode: 0, reason: 'Completed' }
          : { phase: 'Failed', exitCode: sim.exitCode, reason: 'Error' };
      if (sim.message !== undefined) t.message = sim.message;
      return {
        status: terminatedStatus(pod, now, startedAt, t),
        remember: { stage: 'terminated' },
        completes: { startedAt },
      };
    }
  }
}

function simDefaults(_pod: V1Pod, config: StageConfig): { runMs: number } {
  return { runMs: config.runMs };
}

function waitingReason(pod: V1Pod): string | undefined {
  return pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
}

function firstImage(pod: V1Pod): string {
  return pod.spec?.containers?.[0]?.image ?? '';
}
