/**
 * FlyteWorkflows in a controller process (`flotilla controller --flyte`): the blob store, an
 * engine driver with the Flyte plugins (the pod-based `flyte-container` on the replica's
 * KubePodGateway, the pure `flyte-literal` steps, `flyte-unsupported`) and the factory the
 * Replica calls per shard (./shard.ts). Opened before the Replica starts, closed after it stopped.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { TaskCatalog } from '../../engine/catalog.js';
import type { EngineOptions } from '../../engine/types.js';
import type { TaskRecovery } from '../../engine/recovery.js';
import { EngineDriver } from '../../engine/driver.js';
import { BlobOutputStore } from '../adapters/blob-output-store.js';
import { PluginRegistry } from '../../engine/plugin-registry.js';
import type { Metrics } from '../../observability/metrics.js';
import { inProcessPlugins } from '../../plugins/inprocess/index.js';
import {
  createFlytePodPlugin,
  createLaunchPlanPlugin,
  createLiteralStepPlugin,
  createUnsupportedPlugin,
  type LaunchPlanLauncher,
} from '../../plugins/flyte/index.js';
import type { PodGateway } from '../../plugins/pod/gateway.js';
import type { PodPlatformOptions } from '../../plugins/pod/platform.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { openBlobStore } from '../../storage/open.js';
import { FlyteWorkflowClient } from './client.js';
import { LocalLaunchPlanLauncher } from './local-launcher.js';
import { BlobStoreRecovery } from './recovery.js';
import type { FlyteAdminOptions, FlyteRoundOptions } from './round.js';
import { FlyteShard, type FlyteShardContext, type FlyteShardFactory } from './shard.js';

export interface FlyteSupportOptions {
  kubeConfig: KubeConfig;
  /**
   * The clock rounds stamp and judge a FlyteWorkflow's times by (the controller gives the API
   * server's; src/kube/server-clock.ts). @defaultValue Date.now
   */
  clock?: () => number;
  /** The blob store node data lives in (`file:///dir`, `s3://bucket/prefix`, or a directory). */
  blobStoreUrl: string;
  /** The fleet's hash shard count. */
  shardCount: number;
  /** The replica's Pod gateway (its pods land in the shard's Pod informer through `flotilla.io/shard`). */
  pods: PodGateway;
  /** PodTemplates and interruptible scheduling of task Pods. @defaultValue none */
  platform?: PodPlatformOptions;
  /** Largest node outputs kept (JSON bytes; large ones go to the blob store). @defaultValue 1000000 */
  maxOutputBytes?: number;
  recorder?: FlyteRoundOptions['recorder'];
  /** FlyteAdmin: execution events of every FlyteWorkflow round (none when absent). */
  admin?: FlyteAdminOptions;
  /** Starts and follows launch plan nodes' child executions. @defaultValue the local resolution (LocalLaunchPlanLauncher) */
  launchPlans?: (store: BlobStore) => LaunchPlanLauncher;
  /** @defaultValue 120000 */
  watchdogMs?: number;
  /** Where RecoveryExecution's earlier node outputs are read. @defaultValue the earlier FlyteWorkflow and the blob store (BlobStoreRecovery) */
  recovery?: (store: BlobStore, client: FlyteWorkflowClient) => TaskRecovery;
  /** Cached task outputs (Flyte keys). Without it cacheable tasks run uncached. */
  catalog?: TaskCatalog;
  /** Engine settings beside `maxOutputBytes` (the interruptible threshold, the cache heartbeat). */
  engine?: EngineOptions;
  metrics?: Metrics;
  logger?: Logger;
}

export interface FlyteSupport extends FlyteShardFactory {
  readonly store: BlobStore;
  close(): Promise<void>;
}

export async function openFlyteSupport(options: FlyteSupportOptions): Promise<FlyteSupport> {
  const store = await openBlobStore(options.blobStoreUrl);
  const client = new FlyteWorkflowClient(options.kubeConfig);
  // Launch plans: through admin when given, else the local resolution (a LaunchPlan ConfigMap).
  const launcher = options.launchPlans
    ? options.launchPlans(store)
    : new LocalLaunchPlanLauncher(options.kubeConfig, client, store);
  const clock = options.clock ?? Date.now;
  const plugins = new PluginRegistry([
    ...inProcessPlugins({ clock }),
    createFlytePodPlugin({
      store,
      gateway: options.pods,
      clock,
      ...(options.platform ? { platform: options.platform } : {}),
    }),
    createLiteralStepPlugin(),
    createUnsupportedPlugin(),
    createLaunchPlanPlugin({ launcher }),
  ]);
  // Large engine-state outputs go beside the execution's data, not into etcd.
  const outputs = new BlobOutputStore({ store, maxBytes: options.maxOutputBytes ?? 1_000_000 });
  const driver = new EngineDriver({
    plugins,
    outputs,
    clock,
    ...(options.catalog ? { catalog: options.catalog } : {}),
    recovery: options.recovery ? options.recovery(store, client) : new BlobStoreRecovery(client, store),
    engine: { ...options.engine, maxOutputBytes: options.maxOutputBytes ?? 1_000_000 },
  });
  const { metrics } = options;
  return {
    store,
    forShard: (context: FlyteShardContext) =>
      new FlyteShard(
        {
          informers: {
            kubeConfig: options.kubeConfig,
            shardCount: options.shardCount,
            ...(options.watchdogMs !== undefined ? { watchdogMs: options.watchdogMs } : {}),
            onRestart: (resource, reason) =>
              metrics?.informerRestarts.inc({ resource, shard: String(context.shard), reason }),
            ...(options.logger ? { logger: options.logger } : {}),
          },
          round: {
            client,
            driver,
            store,
            clock,
            ...(options.recorder ? { recorder: options.recorder } : {}),
            ...(options.admin ? { admin: options.admin } : {}),
          },
        },
        context,
      ),
    close: () => store.close(),
  };
}
