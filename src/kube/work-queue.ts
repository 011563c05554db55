/**
 * A key queue in the manner of client-go's workqueue: a key waits at most once, is processed by
 * one worker at a time, and a key added while it is being processed is processed again afterwards
 * (never lost to de-duplication). `concurrency` bounds the API calls in flight. With a recorder it
 * reports client-go's `workqueue_*` figures (an add of a key already waiting counts, as in client-go).
 */
import type { WorkQueueRecorder } from '../observability/workqueue.js';

export interface KeyQueueOptions {
  /** `workqueue_*` of this queue (`WorkQueueMetrics.queue(name)`). @defaultValue none */
  metrics?: WorkQueueRecorder;
}

export class KeyQueue {
  private readonly waiting: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  /** When each waiting (or dirty) key was first added: its queue wait starts then. */
  private readonly addedAt = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly concurrency: number,
    private readonly options: KeyQueueOptions = {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.options.metrics?.added();
    if (!this.addedAt.has(key)) this.addedAt.set(key, performance.now());
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.pump();
  }

  /** Stops taking keys and resolves once the keys in progress are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    this.head = 0;
    this.queued.clear();
    this.dirty.clear();
    this.addedAt.clear();
    this.options.metrics?.close();
    if (this.active.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  get depth(): number {
    return this.waiting.length - this.head;
  }

  private pump(): void {
    while (!this.stopped && this.active.size < this.concurrency && this.head < this.waiting.length) {
      const key = this.waiting[this.head++] as string;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.queued.delete(key);
      this.active.add(key);
      const added = this.addedAt.get(key);
      this.addedAt.delete(key);
      const finished = this.options.metrics?.started(
        added === undefined ? undefined : (performance.now() - added) / 1000,
      );
      void this.handle(key)
        .catch(() => undefined)
        .finally(() => {
          finished?.();
          this.done(key);
        });
    }
    this.options.metrics?.depth(this.depth);
  }

  private done(key: string): void {
    this.active.delete(key);
    if (this.dirty.delete(key)) this.requeue(key);
    else this.pump();
    if (this.active.size === 0 && this.stopped) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** A key added while it was processed goes back in line (its add was counted then). */
  private requeue(key: string): void {
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.pump();
  }
}
