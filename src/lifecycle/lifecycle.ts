/**
 * Runs a process's components in stage order (servers → caches → leases → workers) and stops
 * them in reverse: on `stop()`, and when a start fails (those already started are stopped, the
 * failed one is expected to have cleaned up after itself). Within a stage, components start in
 * the order given. `start` and `stop` are idempotent; a stop during the start aborts the start's
 * signal, lets the component starting now settle, then stops what started.
 */
import type { Logger } from 'pino';
import { STAGES, type Component } from './component.js';
import { LifecycleError } from './errors.js';

export interface LifecycleOptions {
  /** @defaultValue no logging */
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** A component's stop may take the grace plus this before the next one stops regardless. @defaultValue 2000 */
  stopMarginMs?: number;
  /** The grace when a failed start stops those already started. @defaultValue 1000 */
  failedStartGraceMs?: number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class Lifecycle {
  private readonly ordered: readonly Component[];
  private readonly started: Component[] = [];
  /** Aborted by a stop requested while the start runs, never after: a component's own stop-on-abort would break the stop order. */
  private readonly abort = new AbortController();
  private stopRequested = false;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private current: string | undefined;
  private running = false;

  constructor(
    components: readonly Component[],
    private readonly options: LifecycleOptions = {},
  ) {
    // Array.prototype.sort is stable: components of one stage keep the order given.
    this.ordered = [...components].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
  }

  /** The start order (for logs and docs). */
  get components(): readonly Component[] {
    return this.ordered;
  }

  /** Starts every component in stage order; rejects with a `LifecycleError` naming the one that failed. */
  start(): Promise<void> {
    this.starting ??= this.startAll();
    return this.starting;
  }

  /** `true` once every component started and until a stop begins; else what it is doing. */
  ready(): true | string {
    if (this.stopRequested) return 'stopping';
    if (this.running) return true;
    return this.current !== undefined ? `starting ${this.current}` : 'not started';
  }

  /**
   * Stops what started, workers first. Every component is stopped even when one fails or hangs
   * past the grace plus the margin; the failures are logged and then thrown together.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 10_000;
    this.stopRequested = true;
    if (!this.running) this.abort.abort();
    this.stopping ??= (async () => {
      await this.starting?.catch(() => undefined);
      await this.stopStarted(graceMs);
    })();
    return this.stopping;
  }

  private async startAll(): Promise<void> {
    const signal = this.abort.signal;
    if (this.stopRequested) throw new LifecycleError('Stopped', 'cannot start: already stopped');
    for (const part of this.ordered) {
      if (this.stopRequested)
        throw new LifecycleError('StartAborted', `start aborted before ${part.name}: a stop was requested`, {
          component: part.name,
        });
      this.current = part.name;
      try {
        await part.start(signal);
      } catch (cause) {
        const error = new LifecycleError('StartFailed', `${part.name} failed to start: ${message(cause)}`, {
          cause,
          component: part.name,
        });
        this.options.logger?.error(
          { part: part.name, stage: part.stage, err: message(cause) },
          'component failed to start; stopping those started',
        );
        // A stop already requested stops them once this start settled (see stop()).
        if (!this.stopRequested) {
          this.stopRequested = true;
          this.stopping = this.stopStarted(this.options.failedStartGraceMs ?? 1000);
          await this.stopping.catch(() => undefined);
        }
        throw error;
      }
      this.started.push(part);
    }
    this.current = undefined;
    if (this.stopRequested) throw new LifecycleError('StartAborted', 'start aborted: a stop was requested');
    this.running = true;
  }

  private async stopStarted(graceMs: number): Promise<void> {
    this.running = false;
    const failures: LifecycleError[] = [];
    for (const part of this.started.splice(0).reverse()) {
      const error = await this.stopOne(part, graceMs);
      if (error) failures.push(error);
    }
    const [first] = failures;
    if (!first) return;
    if (failures.length === 1) throw first;
    const names = failures.map((f) => f.component).join(', ');
    throw new LifecycleError('StopFailed', `${names} failed to stop`, {
      cause: new AggregateError(failures),
      component: first.component,
    });
  }

  /** Stops one component within the grace plus the margin; returns what went wrong, logged. */
  private async stopOne(part: Component, graceMs: number): Promise<LifecycleError | undefined> {
    const limitMs = graceMs + (this.options.stopMarginMs ?? 2000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limitMs);
    });
    const stopping = part.stop({ graceMs });
    try {
      if ((await Promise.race([stopping.then(() => 'done' as const), timeout])) === 'done') return undefined;
      // Abandoned, not awaited: a late failure must not surface as an unhandled rejection.
      stopping.catch(() => undefined);
      this.options.logger?.warn({ part: part.name, ms: limitMs }, 'component stop timed out; stopping the next one');
      return new LifecycleError('StopTimedOut', `${part.name} did not stop within ${limitMs} ms`, {
        component: part.name,
      });
    } catch (cause) {
      this.options.logger?.warn({ part: part.name, err: message(cause) }, 'component failed to stop');
      return new LifecycleError('StopFailed', `${part.name} failed to stop: ${message(cause)}`, {
        cause,
        component: part.name,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
