/**
 * `--chaos`: now and then (every `minMs`..`maxMs`) SIGKILLs a random live replica; the fleet's
 * supervisor restarts it under the same name after its restart delay, so the view shows it dead
 * and its shards moving. Never kills the last live replica, nor a spared one (`--chaos-spare`: the
 * soak spares one so that a single process lives through the whole run and its memory can be judged
 * per process while the others die around it and its shards come and go).
 */
import type { Fleet } from './fleet.js';

export interface ChaosOptions {
  fleet: Pick<Fleet, 'liveReplicaNames' | 'killReplica'>;
  /** Replicas never killed. @defaultValue none */
  spare?: readonly string[];
  /** @defaultValue 10000 */
  minMs?: number;
  /** @defaultValue 20000 */
  maxMs?: number;
  /** @defaultValue Math.random */
  random?: () => number;
  onKill?: (replica: string) => void;
}

export class Chaos {
  kills = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: ChaosOptions) {}

  start(signal: AbortSignal): void {
    signal.addEventListener('abort', () => this.stop(), { once: true });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const min = this.options.minMs ?? 10_000;
    const max = this.options.maxMs ?? 20_000;
    const random = this.options.random ?? Math.random;
    this.timer = setTimeout(
      () => {
        this.strike();
        this.schedule();
      },
      min + random() * (max - min),
    );
  }

  private strike(): void {
    const live = this.options.fleet.liveReplicaNames();
    if (live.length < 2) return;
    const spare = new Set(this.options.spare ?? []);
    const candidates = live.filter((name) => !spare.has(name));
    const random = this.options.random ?? Math.random;
    const victim = candidates[Math.floor(random() * candidates.length)];
    if (victim && this.options.fleet.killReplica(victim)) {
      this.kills++;
      this.options.onKill?.(victim);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
