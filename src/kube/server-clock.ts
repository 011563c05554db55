/**
 * The fleet's clock for what it writes into a Workflow: the API server's, learnt from the `Date`
 * header of every answer.
 *
 * A round stamps times into the status (a node's start, a failure, a retry's earliest next
 * attempt) and another replica later judges them against its own now: a replica whose wall clock
 * runs five minutes ahead would make every other replica wait five minutes longer for a retry, and
 * one behind would fire timeouts early. Leases do not care (they are judged by each observer's own
 * steady clock, shard-manager/), but timers written in one replica's time and read in another's do.
 * So replicas stamp and judge in the API server's time, which every replica reads alike.
 *
 * The offset is kept against the process's steady clock (src/lifecycle/steady-clock.ts), not its
 * wall clock: a wall clock stepped mid-run (NTP) would otherwise leave the estimate wrong until the
 * next answer, and a round that judged a timer before the answer and scheduled it after would
 * schedule it minutes off.
 *
 * A `Date` header has a resolution of one second. An answer sent at local `sent` and received at
 * local `received` carrying `D` says the server's clock read somewhere in [D, D + 1 s) at some
 * instant within [sent, received], so the offset (server − local) lies in
 * [D − received, D + 1000 − sent]. Intersecting the intervals of recent answers narrows the
 * estimate to well under a second once answers straddle a second boundary; an empty intersection
 * means one of the clocks stepped, and the newest answer starts a new estimate. (Several API
 * servers behind one address whose clocks disagree by more than a second make the estimate follow
 * whichever answered last: still within their disagreement of each other.)
 */

/**
 * How far a narrower estimate may move `now()` back before it is taken for a step of the server's
 * clock: time then stands still instead (a Date header's second is the most an estimate moves).
 */
const HOLD_BACKWARD_MS = 2_000;

interface Interval {
  lowMs: number;
  highMs: number;
}

import { steadyNow } from '../lifecycle/index.js';

export interface ServerClockOptions {
  /** The local clock the offset is kept against. @defaultValue steadyNow */
  localNow?: () => number;
  /** Answers kept for the estimate. @defaultValue 64 */
  window?: number;
}

export class ServerClock {
  /** The local clock answers are timed by (`observe`'s `sentAtMs` and `receivedAtMs`). */
  readonly localNow: () => number;
  private readonly window: number;
  /** Newest last. */
  private readonly samples: Interval[] = [];
  private estimate: Interval | undefined;
  private lastNowMs = -Infinity;

  constructor(options: ServerClockOptions = {}) {
    this.localNow = options.localNow ?? steadyNow;
    this.window = options.window ?? 64;
  }

  /**
   * Epoch milliseconds on the API server's clock (the local clock until a first answer). Never
   * runs back by less than `HOLD_BACKWARD_MS`: a new answer that narrows the estimate moves its
   * middle, maybe back, and one round's passes (a workflow's Running, then its Succeeded) must not
   * be stamped out of order. A larger move back is a step of a clock, followed at once.
   */
  now(): number {
    const estimated = this.localNow() + this.offsetMs();
    if (estimated < this.lastNowMs && this.lastNowMs - estimated <= HOLD_BACKWARD_MS) return this.lastNowMs;
    this.lastNowMs = estimated;
    return estimated;
  }

  /** The estimated offset, server minus local, in milliseconds (the middle of what is known). */
  offsetMs(): number {
    return this.estimate ? Math.round((this.estimate.lowMs + this.estimate.highMs) / 2) : 0;
  }

  /** How well the offset is known: the width of the interval it lies in (Infinity before any answer). */
  uncertaintyMs(): number {
    return this.estimate ? this.estimate.highMs - this.estimate.lowMs : Infinity;
  }

  /**
   * One answer: its `Date` header and the times (by `localNow`) the request was sent and the answer
   * arrived. An absent or unreadable header is ignored.
   */
  observe(dateHeader: string | undefined, sentAtMs: number, receivedAtMs: number): void {
    if (dateHeader === undefined) return;
    const serverMs = Date.parse(dateHeader);
    if (!Number.isFinite(serverMs) || receivedAtMs < sentAtMs) return;
    const sample = { lowMs: serverMs - receivedAtMs, highMs: serverMs + 1000 - sentAtMs };
    this.samples.push(sample);
    if (this.samples.length > this.window) this.samples.shift();
    // From the newest answer back, as far as the answers agree: an older one that contradicts a
    // newer one was taken before a clock stepped, and it and everything older are forgotten.
    let low = sample.lowMs;
    let high = sample.highMs;
    for (let i = this.samples.length - 2; i >= 0; i--) {
      const older = this.samples[i];
      if (older === undefined) break;
      const nextLow = Math.max(low, older.lowMs);
      const nextHigh = Math.min(high, older.highMs);
      if (nextLow > nextHigh) {
        this.samples.splice(0, i + 1);
        break;
      }
      low = nextLow;
      high = nextHigh;
    }
    this.estimate = { lowMs: low, highMs: high };
  }
}
