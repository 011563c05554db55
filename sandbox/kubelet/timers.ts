/**
 * Per-key deadlines on one Node timer: a min-heap of (due, key) with lazy removal, so thousands of
 * Pods cost one armed `setTimeout`, not thousands. A key has at most one live deadline; asking for
 * a later one while an earlier one is pending keeps the earlier (the handler is level-based and
 * asks again).
 */
const maxDelay = 2_147_483_647;

interface Entry {
  due: number;
  key: string;
}

export class DeadlineTimers {
  private readonly heap: Entry[] = [];
  private readonly live = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly fire: (key: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `fire(key)` at `due` (ms since epoch), unless an earlier deadline for the key is pending. */
  at(key: string, due: number): void {
    if (this.stopped) return;
    const current = this.live.get(key);
    if (current !== undefined && current <= due) return;
    this.live.set(key, due);
    this.push({ due, key });
    this.arm();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  get size(): number {
    return this.live.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.live.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    const top = this.heap[0];
    if (!top || top.due >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = top.due;
    this.timer = setTimeout(() => this.run(), Math.min(maxDelay, Math.max(0, top.due - this.now())));
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.now();
    for (let top = this.heap[0]; top && top.due <= now; top = this.heap[0]) {
      this.pop();
      if (this.live.get(top.key) === top.due) {
        this.live.delete(top.key);
        this.fire(top.key);
      }
    }
    this.arm();
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Entry;
      if (p.due <= entry.due) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      let smallestDue = last.due;
      const left = h[l];
      const right = h[r];
      if (left && left.due < smallestDue) {
        smallest = l;
        smallestDue = left.due;
      }
      if (right && right.due < smallestDue) smallest = r;
      if (smallest === i) break;
      h[i] = h[smallest] as Entry;
      i = smallest;
    }
    h[i] = last;
  }
}
