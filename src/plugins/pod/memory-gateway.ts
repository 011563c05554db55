/**
 * An in-memory PodGateway that simulates the kubelet from the same annotations as the sandbox
 * kubelet (`flotilla.io/sim-duration`, `sim-exit-code`, `sim-message`, `sim-failure`), on an
 * injected clock: Pending → Running at once → Succeeded/Failed after the duration.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { parseDuration } from '../../api/duration.js';
import type { PodGateway } from './gateway.js';

export const SimAnnotations = {
  duration: 'flotilla.io/sim-duration',
  exitCode: 'flotilla.io/sim-exit-code',
  message: 'flotilla.io/sim-message',
  failure: 'flotilla.io/sim-failure',
} as const;

export interface MemoryPodGatewayOptions {
  readonly clock?: () => number;
  /** Run time without `sim-duration`. @defaultValue 1000 */
  readonly defaultRunMs?: number;
}

export class MemoryPodGateway implements PodGateway {
  private readonly pods = new Map<string, { pod: V1Pod; createdAt: number }>();
  private readonly clock: () => number;
  /** Pods ever created (for tests: proves idempotent starts). */
  created = 0;

  constructor(private readonly options: MemoryPodGatewayOptions = {}) {
    this.clock = options.clock ?? Date.now;
  }

  async create(pod: V1Pod): Promise<{ created: boolean }> {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (this.pods.has(key)) return { created: false };
    const createdAt = this.clock();
    this.pods.set(key, {
      pod: { ...pod, metadata: { ...pod.metadata, creationTimestamp: new Date(createdAt) } },
      createdAt,
    });
    this.created++;
    return { created: true };
  }

  async get(namespace: string, name: string): Promise<V1Pod | undefined> {
    const entry = this.pods.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    const a = entry.pod.metadata?.annotations ?? {};
    const runMs = parseDuration(a[SimAnnotations.duration]) ?? this.options.defaultRunMs ?? 1000;
    if (a[SimAnnotations.failure] === 'Lost' && this.clock() >= entry.createdAt + runMs) return undefined;
    return { ...entry.pod, status: this.simulate(entry.pod, entry.createdAt) };
  }

  async delete(namespace: string, name: string): Promise<void> {
    this.pods.delete(`${namespace}/${name}`);
  }

  names(): string[] {
    return [...this.pods.keys()];
  }

  private simulate(pod: V1Pod, createdAt: number): V1Pod['status'] {
    const a = pod.metadata?.annotations ?? {};
    const now = this.clock();
    const runMs = parseDuration(a[SimAnnotations.duration]) ?? this.options.defaultRunMs ?? 1000;
    const failure = a[SimAnnotations.failure];
    if (failure === 'ImagePullBackOff') {
      return {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'task',
            image: '',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
          },
        ],
      };
    }
    if (now < createdAt + runMs) {
      return {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'task',
            image: '',
            imageID: '',
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: new Date(createdAt) } },
          },
        ],
      };
    }
    if (failure === 'Evicted')
      return { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' };
    const oom = failure === 'OOMKilled';
    const exitCode = oom ? 137 : Number(a[SimAnnotations.exitCode] ?? '0') || 0;
    const message = a[SimAnnotations.message];
    return {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [
        {
          name: 'task',
          image: '',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode,
              reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
              finishedAt: new Date(createdAt + runMs),
              ...(message !== undefined ? { message } : {}),
            },
          },
        },
      ],
    };
  }
}
