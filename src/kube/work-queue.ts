/**
 * A key queue in the manner of client-go's workqueue: a key waits at most once, is processed by
 * one worker at a time, and a key added while it is being processed is processed again afterwards
 * (never lost to de-duplication). `concurrency` bounds the API calls in flight.
 */
export class KeyQueue {
  private readonly waiting: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly concurrency: number,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
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
      void this.handle(key)
        .catch(() => undefined)
        .finally(() => this.done(key));
    }
  }

  private done(key: string): void {
    this.active.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    else this.pump();
    if (this.active.size === 0 && this.stopped) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
