/**
 * The FlyteWorkflow informers of one shard.
 *
 * FlyteAdmin labels every FlyteWorkflow `shard-key: "<0-31>"`; src/flyte/shard.ts maps a key onto
 * the fleet's shards. Shard `s` watches the keys that map to it (`shard-key in (...)`): with at
 * most 32 shards each shard owns whole keys; with more, a key's block of shards all watch it and
 * the execution name's hash picks one (filtered here).
 *
 * Objects without a valid `shard-key` (created by hand, or by an older FlyteAdmin) match no
 * `in (...)` selector, so every shard also watches `!shard-key`; only the shard that the
 * execution name's hash picks (`shardOfFlyteWorkflow`, source `hash`) enqueues it, and its first
 * write labels the object with the key FlyteAdmin would have written, which moves it into that
 * shard's labelled informer. No other component (the manager's labeller) is involved. An object
 * whose `shard-key` is present but invalid (not 0–31) is watched by no shard (a limitation).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ResourceInformer, type InformerEventType, type RestartReason } from '../../kube/informer.js';
import { contiguousRange, shardForKey, shardOfFlyteWorkflow } from '../../flyte/shard.js';
import { FlyteLabels, SHARD_KEYSPACE_SIZE } from '../../flyte/metadata.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../flyte/types.js';
import { FlyteWorkflowClient, type FlyteObject } from './client.js';
import { flyteKey } from './keys.js';

/** The Flyte `shard-key` values shard `shard` of `shardCount` watches. */
export function shardKeysOf(shard: number, shardCount: number): number[] {
  const keys: number[] = [];
  for (let key = 0; key < SHARD_KEYSPACE_SIZE; key++) {
    if (shardCount <= SHARD_KEYSPACE_SIZE) {
      if (shardForKey(key, '', { shardCount }) === shard) keys.push(key);
    } else {
      const [start, end] = contiguousRange(shardCount, SHARD_KEYSPACE_SIZE, key);
      if (shard >= start && shard < end) keys.push(key);
    }
  }
  return keys;
}

/** The label selector of shard `shard`'s labelled informer. */
export function shardKeySelector(shard: number, shardCount: number): string {
  return `${FlyteLabels.shardKey} in (${shardKeysOf(shard, shardCount).join(',')})`;
}

export interface FlyteInformerOptions {
  kubeConfig: KubeConfig;
  shard: number;
  shardCount: number;
  /** @defaultValue 120000 */
  watchdogMs?: number;
  onRestart?: (resource: 'flyteworkflows', reason: RestartReason) => void;
  logger?: Logger;
}

/** Both FlyteWorkflow informers of one shard (labelled and unlabelled), one key stream. */
export class FlyteShardInformers {
  readonly labelled: ResourceInformer<FlyteObject>;
  readonly unlabelled: ResourceInformer<FlyteObject>;

  constructor(private readonly options: FlyteInformerOptions) {
    const client = new FlyteWorkflowClient(options.kubeConfig);
    const make = (labelSelector: string) =>
      new ResourceInformer<FlyteObject>({
        kubeConfig: options.kubeConfig,
        resource: 'flyteworkflows',
        path: `/apis/${FLYTE_GROUP}/${FLYTE_VERSION}/${FLYTE_PLURAL}`,
        labelSelector,
        list: (selector) => client.list(selector),
        ...(options.watchdogMs !== undefined ? { watchdogMs: options.watchdogMs } : {}),
        onRestart: (reason) => options.onRestart?.('flyteworkflows', reason),
        ...(options.logger ? { logger: options.logger } : {}),
      });
    this.labelled = make(shardKeySelector(options.shard, options.shardCount));
    this.unlabelled = make(`!${FlyteLabels.shardKey}`);
  }

  /** Whether this shard owns `object` (its key, or the hash of its execution name, maps here). */
  owns(object: FlyteObject): boolean {
    const executionId = isExecutionId(object['executionId']) ? object['executionId'] : {};
    return (
      shardOfFlyteWorkflow({ metadata: object.metadata, executionId }, { shardCount: this.options.shardCount })
        .shard === this.options.shard
    );
  }

  /** The cached object of `namespace/name`, from either informer. */
  get(cacheKey: string): FlyteObject | undefined {
    return this.labelled.get(cacheKey) ?? this.unlabelled.get(cacheKey);
  }

  /** Every cached object this shard owns. */
  list(): FlyteObject[] {
    return [...this.labelled.list(), ...this.unlabelled.list()].filter((o) => this.owns(o));
  }

  /** Calls `callback` with the queue key (`flyte:ns/name`) of every change of an object this shard owns. */
  onEvent(callback: (key: string, type: InformerEventType) => void): () => void {
    const listener = (type: InformerEventType, object: FlyteObject) => {
      const namespace = object.metadata.namespace ?? 'default';
      // Relabelled (unlabelled → labelled): the other informer still has it, so it is not gone.
      if (type === 'delete' && this.get(`${namespace}/${object.metadata.name}`) !== undefined) return;
      if (type === 'delete' || this.owns(object)) callback(flyteKey(namespace, object.metadata.name), type);
    };
    const offs = [this.labelled.onChange(listener), this.unlabelled.onChange(listener)];
    return () => offs.forEach((off) => off());
  }

  start(): void {
    this.labelled.start();
    this.unlabelled.start();
  }

  async waitForSync(timeoutMs: number): Promise<void> {
    await Promise.all([this.labelled.waitForSync(timeoutMs), this.unlabelled.waitForSync(timeoutMs)]);
  }

  get lastError(): string | undefined {
    return this.labelled.lastError ?? this.unlabelled.lastError;
  }

  async stop(): Promise<void> {
    await Promise.all([this.labelled.stop(), this.unlabelled.stop()]);
  }
}

function isExecutionId(value: unknown): value is { project?: string; domain?: string; name?: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
