/**
 * A Pod informer that does not die: client-node's ListWatch stops for good on any error other
 * than 410, so this wraps it, restarts a fresh ListWatch with exponential back-off, and restarts a
 * watch that has been silent for too long (dead TCP connections go quiet without an error).
 * It keeps its own store, so a re-list (after 410 or a restart) reports the Pods that vanished
 * meanwhile as deletions.
 */
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1Pod, type V1PodList } from '@kubernetes/client-node';

export interface PodInformerOptions {
  kubeConfig: KubeConfig;
  /** A Pod was added or changed (or re-listed). */
  onUpsert: (key: string, pod: V1Pod) => void;
  /** A Pod is gone. */
  onDelete: (key: string, pod: V1Pod) => void;
  /** Reports errors that caused a restart. */
  onError?: (error: unknown, restartInMs: number) => void;
  /** Restart the watch when nothing arrived for this long. @defaultValue 300000 */
  idleRestartMs?: number;
  /** First restart delay after an error; doubles up to `maxBackoffMs`. @defaultValue 200 */
  minBackoffMs?: number;
  /** @defaultValue 10000 */
  maxBackoffMs?: number;
}

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export class PodInformer {
  private readonly store = new Map<string, V1Pod>();
  private readonly api: CoreV1Api;
  private current: ListWatch<V1Pod> | undefined;
  private generation = 0;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private stopped = false;
  private synced: Promise<void>;
  private markSynced: () => void = () => undefined;
  /** How many times the informer was restarted (errors and idle watchdog). */
  restarts = 0;

  constructor(private readonly options: PodInformerOptions) {
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.backoffMs = options.minBackoffMs ?? 200;
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  get(key: string): V1Pod | undefined {
    return this.store.get(key);
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts listing and watching; resolves after the first successful list (or on stop). */
  async start(): Promise<void> {
    this.stopped = false;
    const idle = this.options.idleRestartMs ?? 300_000;
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastActivity > idle) this.restart(new Error(`no watch traffic for ${idle} ms`), 0);
    }, Math.max(100, Math.min(idle / 4, 30_000)));
    this.watchdog.unref();
    this.launch();
    await this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    const lw = this.current;
    this.current = undefined;
    this.markSynced();
    if (lw) await lw.stop();
  }

  private launch(): void {
    const generation = ++this.generation;
    const live = () => generation === this.generation && !this.stopped;
    const listFn = async (): Promise<V1PodList> => {
      const list = await this.api.listPodForAllNamespaces();
      if (live()) this.replaceAll(list.items);
      return list;
    };
    const lw = new ListWatch<V1Pod>('/api/v1/pods', new Watch(this.options.kubeConfig), listFn, false);
    const upsert = (pod: V1Pod) => {
      if (!live()) return;
      this.touch();
      const key = podKey(pod);
      this.store.set(key, pod);
      this.options.onUpsert(key, pod);
    };
    lw.on('add', upsert);
    lw.on('update', upsert);
    lw.on('delete', (pod) => {
      if (!live()) return;
      this.touch();
      const key = podKey(pod);
      this.store.delete(key);
      this.options.onDelete(key, pod);
    });
    lw.on('connect', () => {
      if (live()) this.touch();
    });
    lw.on('error', (error: unknown) => {
      if (live()) this.restart(error, this.backoffMs);
    });
    this.current = lw;
    this.touch();
    lw.start().catch((error: unknown) => {
      if (live()) this.restart(error, this.backoffMs);
    });
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private replaceAll(items: V1Pod[]): void {
    this.touch();
    this.backoffMs = this.options.minBackoffMs ?? 200;
    const seen = new Set<string>();
    for (const pod of items) {
      const key = podKey(pod);
      seen.add(key);
      this.store.set(key, pod);
    }
    for (const [key, pod] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.options.onDelete(key, pod);
      }
    }
    for (const pod of items) this.options.onUpsert(podKey(pod), pod);
    this.markSynced();
  }

  private restart(error: unknown, delayMs: number): void {
    if (this.stopped) return;
    this.generation++;
    const old = this.current;
    this.current = undefined;
    if (old) void old.stop().catch(() => undefined);
    this.options.onError?.(error, delayMs);
    this.restarts++;
    this.backoffMs = Math.min(this.options.maxBackoffMs ?? 10_000, Math.max(this.backoffMs * 2, 1));
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) {
        this.touch();
        this.launch();
      }
    }, delayMs);
    this.restartTimer.unref();
  }
}
