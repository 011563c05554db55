/**
 * A resilient informer over client-node 1.4's `ListWatch` (what `makeInformer` returns).
 *
 * client-node stops an informer for good on any error but 410, never asks for bookmarks and can sit
 * on a dead watch forever. This wrapper runs the `ListWatch` as disposable *incarnations*: on an
 * error, or when the watchdog sees no traffic (events, bookmarks, reconnects) for `watchdogMs`, the
 * incarnation is killed (its late callbacks are dropped) and a new one lists again after an
 * exponential back-off. The cache here is ours and continuous across incarnations: after a re-list
 * objects that vanished meanwhile are reported as deleted, and unchanged ones are not reported.
 *
 * Ordering: `onEvent` callbacks run after the cache was updated, so `get()` in a callback sees the
 * object of the event. `synced` resolves after the first complete list.
 */
import { ListWatch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { InformerError, kubeServer, toKubeError } from './errors.js';
import { TrackingWatch } from './tracking-watch.js';

/** What the informer needs of an object (Workflow's metadata types differ from V1ObjectMeta's). */
export interface CachedObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export type InformerEventType = 'add' | 'update' | 'delete';

export type RestartReason = 'error' | 'watchdog';

export interface ResourceInformerOptions<T extends CachedObject> {
  kubeConfig: KubeConfig;
  /** Watch path, e.g. `/apis/flotilla.io/v1alpha1/workflows` or `/api/v1/namespaces/ns/pods`. */
  path: string;
  /** The list call. It MUST apply `labelSelector` itself: ListWatch applies it to the watch only. */
  list: (labelSelector: string | undefined) => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  labelSelector?: string;
  /** For logs and metrics, e.g. `workflows`. */
  resource: string;
  /** Restart a watch that saw no traffic (events, bookmarks) for this long. @defaultValue 120000 */
  watchdogMs?: number;
  /** First restart back-off after an error. @defaultValue 200 */
  backoffBaseMs?: number;
  /** Back-off cap. @defaultValue 30000 */
  backoffMaxMs?: number;
  /**
   * Applied to every listed or watched object before it is cached, in place (see
   * `cache-transform.ts`): what it removes costs no memory for as long as the object is cached.
   * @defaultValue none
   */
  transform?: (object: T) => void;
  /** Called on every restart (for `flotilla_informer_restarts_total`). */
  onRestart?: (reason: RestartReason) => void;
  logger?: Logger;
}

export type InformerListener<T> = (type: InformerEventType, object: T) => void;

interface Incarnation {
  id: number;
  listWatch: ListWatch<KubernetesObject>;
  watch: TrackingWatch;
}

export class ResourceInformer<T extends CachedObject> {
  /** Restarts so far (errors and watchdog). */
  restarts = 0;
  /** Why the last list or watch failed (cleared by a successful list): what `not synced` is waiting on. */
  lastError: string | undefined;
  readonly synced: Promise<void>;
  private resolveSynced: () => void = () => undefined;
  private readonly cache = new Map<string, T>();
  private readonly listeners = new Set<InformerListener<T>>();
  private current: Incarnation | undefined;
  private nextId = 0;
  private failures = 0;
  private lastTraffic = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly log: Logger;
  private readonly watchdogMs: number;

  constructor(private readonly options: ResourceInformerOptions<T>) {
    this.synced = new Promise<void>((resolve) => {
      this.resolveSynced = resolve;
    });
    this.watchdogMs = options.watchdogMs ?? 120_000;
    this.log = (
      options.logger ?? pino({ name: 'informer', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2))
    ).child({
      resource: options.resource,
      selector: options.labelSelector,
    });
  }

  /** Starts listing and watching; returns at once (await `synced` or `waitForSync`). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastTraffic = Date.now();
    this.launch();
    const tick = Math.max(50, Math.min(5000, Math.floor(this.watchdogMs / 4)));
    this.watchdog = setInterval(() => this.checkWatchdog(), tick);
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.kill();
  }

  /** Resolves when synced; `InformerError('SyncTimeout')` after `timeoutMs`. */
  async waitForSync(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InformerError('SyncTimeout', `${this.options.resource} informer not synced after ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      // A wait for sync alone never keeps a stopping process alive (a stopped informer never syncs).
      timer.unref();
    });
    try {
      await Promise.race([this.synced, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Subscribes to changes; returns the unsubscription. */
  onChange(listener: InformerListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The cached object `namespace/name` (cluster-scoped: `name`). */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /** How many objects the cache holds. */
  get size(): number {
    return this.cache.size;
  }

  private launch(): void {
    if (!this.running) return;
    const id = ++this.nextId;
    const watch = new TrackingWatch(this.options.kubeConfig, () => {
      if (this.current?.id === id) this.lastTraffic = Date.now();
    });
    const isCurrent = () => this.running && this.current?.id === id;
    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const list = await this.options.list(this.options.labelSelector);
      if (!isCurrent()) throw new InformerError('Stopped', 'incarnation replaced');
      this.reconcileList(list.items);
      this.failures = 0;
      this.lastError = undefined;
      this.lastTraffic = Date.now();
      this.resolveSynced();
      return list as unknown as KubernetesListObject<KubernetesObject>;
    };
    const listWatch = new ListWatch<KubernetesObject>(
      this.options.path,
      watch,
      listFn,
      false,
      this.options.labelSelector,
    );
    const incarnation: Incarnation = { id, listWatch, watch };
    this.current = incarnation;
    this.lastTraffic = Date.now();
    listWatch.on('add', (object) => isCurrent() && this.apply('add', object as unknown as T));
    listWatch.on('update', (object) => isCurrent() && this.apply('update', object as unknown as T));
    listWatch.on('delete', (object) => isCurrent() && this.apply('delete', object as unknown as T));
    listWatch.on('connect', () => {
      if (isCurrent()) this.lastTraffic = Date.now();
    });
    listWatch.on('error', (error: unknown) => {
      if (isCurrent()) this.restart('error', error);
    });
    listWatch.start().catch((error: unknown) => {
      if (isCurrent()) this.restart('error', error);
    });
  }

  /** After a (re-)list: objects we knew that are gone were deleted meanwhile. */
  private reconcileList(items: T[]): void {
    const present = new Set(items.map((item) => keyOf(item)));
    for (const [key, object] of [...this.cache]) {
      if (!present.has(key)) this.apply('delete', object);
    }
  }

  private apply(type: InformerEventType, object: T): void {
    const key = keyOf(object);
    const previous = this.cache.get(key);
    if (type === 'delete') {
      if (!previous) return;
      this.cache.delete(key);
    } else {
      if (previous && previous.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
      this.options.transform?.(object);
      this.cache.set(key, object);
      if (previous && type === 'add') type = 'update';
    }
    for (const listener of this.listeners) {
      try {
        listener(type, object);
      } catch (error) {
        this.log.error({ err: String(error) }, 'informer listener threw');
      }
    }
  }

  private checkWatchdog(): void {
    if (!this.running || this.restartTimer) return;
    if (Date.now() - this.lastTraffic > this.watchdogMs) this.restart('watchdog', undefined);
  }

  private kill(): void {
    const incarnation = this.current;
    this.current = undefined;
    if (!incarnation) return;
    incarnation.watch.kill();
    void incarnation.listWatch.stop().catch(() => undefined);
  }

  private restart(reason: RestartReason, error: unknown): void {
    if (!this.running) return;
    this.kill();
    this.restarts += 1;
    this.failures += 1;
    const delay =
      reason === 'watchdog'
        ? 0
        : Math.min(this.options.backoffMaxMs ?? 30_000, (this.options.backoffBaseMs ?? 200) * 2 ** (this.failures - 1));
    if (error !== undefined) this.lastError = errorText(error);
    // The cause as an operator reads it (refused at host:port, TLS, RBAC's own message) and what to do.
    const cause =
      error === undefined || error instanceof InformerError
        ? undefined
        : toKubeError(error, `list and watch ${this.options.resource}`, kubeServer(this.options.kubeConfig));
    this.log.warn(
      {
        reason,
        delayMs: delay,
        err: errorText(error),
        ...(cause !== undefined ? { cause: cause.message } : {}),
        ...(cause?.nextStep !== undefined ? { next: cause.nextStep } : {}),
      },
      'informer restarting',
    );
    try {
      this.options.onRestart?.(reason);
    } catch {
      // metrics callbacks never stop an informer
    }
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.lastTraffic = Date.now();
      this.launch();
    }, delay);
    this.restartTimer.unref();
  }
}

function keyOf(object: CachedObject): string {
  const ns = object.metadata?.namespace;
  const name = object.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
