/**
 * A watched cache of the fleet's leases (`flotilla.io/lease` label, fleet namespace), as a
 * `LeaseSource`. client-node's informer stops for good on any error other than 410 and can go
 * silent on a dead connection (LIBRARY-FACTS), so this one restarts after errors with back-off
 * and re-lists on a timer as a watchdog: lease decisions are time-critical.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, makeInformer, type Informer, type ObjectCache } from '@kubernetes/client-node';
import { LEASE_KIND_LABEL } from './names.js';
import { toFields } from './lease-client.js';
import type { LeaseFields } from './lease-state.js';
import type { LeaseSource } from './lease-source.js';

export interface LeaseInformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Full re-list this often even when the watch looks healthy. @defaultValue 30000 */
  readonly relistMs?: number;
  readonly onRestart?: (reason: unknown) => void;
}

export class LeaseInformer implements LeaseSource {
  private informer: (Informer<V1Lease> & ObjectCache<V1Lease>) | undefined;
  private readonly listeners = new Set<(lease: LeaseFields) => void>();
  private snapshot: LeaseFields[] = [];
  private dirty = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private relistTimer: NodeJS.Timeout | undefined;
  private backoffMs = 200;
  private stopped = false;

  constructor(private readonly options: LeaseInformerOptions) {}

  leases(): readonly LeaseFields[] {
    if (this.dirty && this.informer) {
      this.snapshot = this.informer.list(this.options.namespace).map(toFields);
      this.dirty = false;
    }
    return this.snapshot;
  }

  onChange(listener: (lease: LeaseFields) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves after the first list. */
  async start(): Promise<void> {
    await this.run();
    this.scheduleRelist();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.relistTimer);
    await this.informer?.stop().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { kubeConfig, namespace } = this.options;
    const api = kubeConfig.makeApiClient(CoordinationV1Api);
    const selector = LEASE_KIND_LABEL;
    // The selector applies to the watch only: the list function must apply it too.
    const informer = makeInformer<V1Lease>(
      kubeConfig,
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
      () => api.listNamespacedLease({ namespace, labelSelector: selector }),
      selector,
    );
    const changed = (lease: V1Lease) => {
      this.dirty = true;
      const fields = toFields(lease);
      for (const listener of this.listeners) listener(fields);
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('error', (error: unknown) => this.restart(error));
    await informer.start();
    this.informer = informer;
    this.dirty = true;
    this.backoffMs = 200;
  }

  private restart(reason: unknown): void {
    if (this.stopped) return;
    this.options.onRestart?.(reason);
    clearTimeout(this.restartTimer);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
    this.restartTimer = setTimeout(() => {
      const old = this.informer;
      void old?.stop().catch(() => undefined);
      this.run().catch((error: unknown) => this.restart(error));
    }, delay);
    this.restartTimer.unref?.();
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    this.relistTimer = setTimeout(() => {
      this.restart('periodic re-list');
      this.scheduleRelist();
    }, this.options.relistMs ?? 30_000);
    this.relistTimer.unref?.();
  }
}
