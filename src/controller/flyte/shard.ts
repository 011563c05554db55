/**
 * The FlyteWorkflow side of one shard, as the replica runs it beside the native Workflows: the
 * shard's FlyteWorkflow informers (./informers.ts) and its Flyte round runner (./round.ts),
 * sharing the shard's queue (keys `flyte:namespace/name`, ./keys.ts), Pod informer and lease
 * fence. Start order as for the native side: the replica's queue first, then these informers
 * (their first list enqueues every key); a round waits for their first sync before it reads.
 */
import type { InformerEventType } from '../../kube/informer.js';
import type { ProcessContext } from '../queue/index.js';
import { FlyteShardInformers, type FlyteInformerOptions } from './informers.js';
import { flyteKey } from './keys.js';
import { FlyteRoundRunner, type FlyteRoundOptions, type FlyteRoundRun } from './round.js';

/** What the replica calls on a shard's Flyte side. */
export interface FlyteShardRuntime {
  /** One round for a `flyte:` key (waits for the informers' first sync). */
  run(key: string, context: ProcessContext): Promise<FlyteRoundRun>;
  /** Queue keys of changed objects this shard owns (`delete`: forget them). */
  onEvent(callback: (key: string, type: InformerEventType) => void): () => void;
  /** Queue keys of every cached object this shard owns (after a Redis outage). */
  keys(): string[];
  forget(key: string): void;
  start(): void;
  stop(): Promise<void>;
  /** Why the informers have not synced, if they failed. */
  readonly lastError: string | undefined;
}

/** What the replica passes per shard. */
export interface FlyteShardContext {
  shard: number;
  canRun: () => boolean;
}

/** Builds a shard's Flyte side. */
export interface FlyteShardFactory {
  forShard(context: FlyteShardContext): FlyteShardRuntime;
}

export interface FlyteShardOptions {
  informers: Omit<FlyteInformerOptions, 'shard'>;
  round: Omit<FlyteRoundOptions, 'shard' | 'shardCount' | 'cache' | 'canRun'>;
  /** How long a round waits for the informers' first sync. @defaultValue 30000 */
  syncTimeoutMs?: number;
}

export class FlyteShard implements FlyteShardRuntime {
  private readonly informers: FlyteShardInformers;
  private readonly runner: FlyteRoundRunner;
  private synced = false;

  constructor(
    private readonly options: FlyteShardOptions,
    context: FlyteShardContext,
  ) {
    this.informers = new FlyteShardInformers({ ...options.informers, shard: context.shard });
    this.runner = new FlyteRoundRunner({
      ...options.round,
      shard: context.shard,
      shardCount: options.informers.shardCount,
      cache: this.informers,
      canRun: context.canRun,
    });
  }

  async run(key: string, context: ProcessContext): Promise<FlyteRoundRun> {
    if (!this.synced) {
      await this.informers.waitForSync(this.options.syncTimeoutMs ?? 30_000);
      this.synced = true;
    }
    return this.runner.run(key, { signal: context.signal });
  }

  onEvent(callback: (key: string, type: InformerEventType) => void): () => void {
    return this.informers.onEvent(callback);
  }

  keys(): string[] {
    return this.informers.list().map((o) => flyteKey(o.metadata.namespace ?? 'default', o.metadata.name));
  }

  forget(key: string): void {
    this.runner.forget(key);
  }

  start(): void {
    this.informers.start();
  }

  async stop(): Promise<void> {
    await this.informers.stop();
  }

  get lastError(): string | undefined {
    return this.informers.lastError;
  }
}
