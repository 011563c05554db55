/**
 * One controller replica as a process: everything `flotilla controller` wires together.
 *
 * Opened first, closed last (clients, not components): KubeConfig with one keep-alive pool for
 * every API client, metrics, tracing, plugins (in-process, pod, agent), output store,
 * child-workflow gateway, engine driver, event publisher (with an event sink), Kubernetes Event
 * recorder, ownership audit, the Replica.
 *
 * Then the components, in the lifecycle's stage order (stopped in reverse):
 * - server: the observability HTTP server (`/metrics`, `/healthz`, `/readyz`; not ready until
 *   every component started, and again from the moment the stop begins);
 * - cache: the Workflow CRD (with `installCrd`), the fleet's lease cache (lease mode);
 * - lease: the fleet membership, then what `shards.components` adds (e.g. a manager candidate);
 * - worker: the Replica (static shards start here), the ownership loop (lease mode: it starts and
 *   stops shards), the terminal workflow janitor.
 *
 * `stop(graceMs)`: janitor → ownership loop releases its shards (rounds in flight finish within
 * the grace) or static shards stop (same grace) → leases → caches → HTTP server; then the event
 * publisher flushes, tracing and the connection pool close. Bounded: every step has its own
 * timeout inside `graceMs` plus a margin.
 */
import type { RedisConfig } from '../redis/index.js';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { validateWorkflow } from '../api/validation/index.js';
import type { Workflow } from '../api/workflow.js';
import { EngineDriver, type StartedTask } from '../engine/driver.js';
import type { EventPublisher } from '../events/client.js';
import { Lifecycle, component, type Component } from '../lifecycle/index.js';
import type { ClientSecurityOptions } from '../security/grpc.js';
import { Metrics } from '../observability/metrics.js';
import { startObservabilityServer, type ObservabilityServer } from '../observability/http.js';
import { setupTracing, traceLogFields } from '../observability/tracing.js';
import { PluginRegistry } from '../engine/plugin-registry.js';
import { inProcessPlugins } from '../plugins/inprocess/index.js';
import { createPodPlugin } from '../plugins/pod/plugin.js';
import { BlobOutputStore, ConfigMapOutputStore, KubeChildWorkflowGateway, KubePodGateway } from './adapters/index.js';
import type { OutputStore } from '../engine/outputs.js';
import { openBlobStore } from '../storage/open.js';
import type { BlobStore } from '../storage/blob-store.js';
import { OwnershipAudit } from './audit.js';
import { bounded } from '../lifecycle/bounded.js';
import { installWorkflowCrd } from './crd-install.js';
import type { FlyteSupport } from './flyte/support.js';
import type { ControllerAdminOptions } from './flyte/admin-wiring.js';
import { FleetMember } from './fleet-member.js';
import { WorkflowJanitor } from './gc.js';
import { EventRecorder } from './k8s-events.js';
import { PooledKubeConfig } from '../kube/keepalive.js';
import { ServerClock } from '../kube/server-clock.js';
import { parseRedisConfig } from '../redis/index.js';
import {
  CatalogClient,
  describeCatalog,
  flyteCatalogFrontEnd,
  nativeCatalogFrontEnd,
  openCatalogBackend,
  type CatalogSettings,
} from '../catalog/index.js';
import { loadKubeConfig, type KubeConfigSource } from '../kube/config.js';
import { collectQueueMetrics } from './queue/metrics.js';
import { Replica } from './replica.js';
import { PodTemplateStore } from './pod-templates.js';
import type { InterruptibleScheduling, PodPlatformOptions } from '../plugins/pod/platform.js';
import { ShardEpochs } from './shard-epochs.js';
import type { RoundOutcome } from './round.js';
import { LeaseInformer, leaseCacheComponent } from '../../shard-manager/leases/lease-informer.js';
import type { LeaseSource } from '../../shard-manager/leases/lease-source.js';

/** What a component composed into a lease-mode replica process (e.g. a manager candidate) shares with it. */
export interface FleetContext {
  /** The process's pooled KubeConfig. */
  readonly kubeConfig: KubeConfig;
  /** The fleet's lease cache: a `cache` component of the process, started before `lease` components. */
  readonly leases: LeaseSource;
  readonly replicaId: string;
  readonly fleetNamespace: string;
  readonly shardCount: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export type ShardPlan =
  | { static: number[] }
  | {
      lease: true;
      /** More components run by this process beside the replica (`--manager`: the shard-manager candidate). @defaultValue none */
      components?: (fleet: FleetContext) => readonly Component[];
    };

export interface ControllerProcessOptions {
  kubeConfig: KubeConfigSource;
  /** Redis URL of the shard queues, any form of src/redis/config.ts. Ignored when `redis` is given. */
  redisUrl: string;
  /** The parsed Redis connection (secrets and CA merged in). @defaultValue parsed from `redisUrl` */
  redis?: RedisConfig;
  /** @defaultValue the host name */
  replicaId?: string;
  /** Where the fleet's leases live (lease mode). @defaultValue 'flotilla-system' */
  fleetNamespace?: string;
  /** Hash shards of the fleet. @defaultValue 32 */
  shardCount?: number;
  /** @defaultValue 'hash' */
  strategy?: 'hash' | 'namespace';
  /** Namespace strategy: shard i is namespaces[i]. */
  namespaces?: string[];
  /** Static shards, or lease mode. @defaultValue { lease: true } */
  shards?: ShardPlan;
  /** Rounds run at once per shard. @defaultValue 8 */
  concurrency?: number;
  /** @defaultValue '127.0.0.1' */
  metricsHost?: string;
  /** 0 = a free port. @defaultValue 9090 */
  metricsPort?: number;
  /** Execution-event sink `host:port`; none = no execution events. */
  eventSink?: { address: string; security?: ClientSecurityOptions };
  /** Agent service name → `host:port`. @defaultValue {} */
  agents?: Record<string, string>;
  /** Create the Workflow CRD at start (AlreadyExists is fine) and wait until Established. @defaultValue false */
  installCrd?: boolean;
  /**
   * Run FlyteWorkflows (`flyte.lyft.com/v1alpha1`) beside Workflows, node data in `blobStoreUrl`
   * (hash strategy only). @defaultValue undefined (Workflows only)
   */
  flyte?: {
    blobStoreUrl: string;
    /** FlyteAdmin for the FlyteWorkflows' execution events (none: no events). */
    admin?: ControllerAdminOptions;
  };
  /**
   * Node data of Workflows in this blob store (file:// or s3://): offloaded outputs rather than
   * ConfigMaps, and pod tasks may write outputs beyond a termination message's 4 KiB
   * (`FLOTILLA_OUTPUTS_URI`). @defaultValue undefined (ConfigMaps, termination messages)
   */
  outputBlobStoreUrl?: string;
  /** Cached task outputs: Flyte's datacatalog at `endpoint`, else the embedded catalog on the fleet's Redis. @defaultValue embedded */
  catalog?: CatalogSettings;
  /** Create the FlyteWorkflow CRD at start (AlreadyExists is fine) and wait until Established. @defaultValue false */
  installFlyteCrd?: boolean;
  /** Delete completed Workflows this long after they finished. @defaultValue undefined (never) */
  workflowTtlMs?: number;
  /** Largest task outputs (JSON bytes) kept; a task returning more fails naming it (a ConfigMap holds 1 MiB). @defaultValue 1000000 */
  maxOutputBytes?: number;
  /** Ownership audit file (JSON lines). */
  auditLog?: string;
  /** Janitor pass interval. @defaultValue 2000 */
  janitorIntervalMs?: number;
  /**
   * Task Pods: the PodTemplate under every Pod whose task names none (looked up in the workflow's
   * namespace, then `fleetNamespace`), and where interruptible attempts run. The PodTemplate store
   * (an informer over every namespace's podtemplates) always runs: a task may name a template.
   * @defaultValue no default template, no interruptible settings
   */
  pods?: { defaultPodTemplate?: string; interruptible?: InterruptibleScheduling };
  /**
   * FlytePropeller's `interruptible-failure-threshold` (engine option): -N keeps the last N attempts
   * off interruptible nodes, +N drops interruptible after N system failures. @defaultValue -1
   */
  interruptibleFailureThreshold?: number;
  logger?: Logger;
}

export type { ControllerAdminOptions } from './flyte/admin-wiring.js';

export interface ControllerProcess {
  readonly replica: Replica;
  readonly replicaId: string;
  readonly metrics: Metrics;
  /** `http://host:port` of `/metrics`, `/healthz`, `/readyz`. */
  readonly metricsUrl: string;
  /** Graceful stop: rounds in flight get `graceMs` to finish. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export async function startControllerProcess(options: ControllerProcessOptions): Promise<ControllerProcess> {
  const log =
    options.logger ??
    pino(
      { name: 'controller', level: process.env.FLOTILLA_LOG_LEVEL ?? 'info', mixin: traceLogFields },
      pino.destination(2),
    );
  const replicaId = options.replicaId ?? hostname();
  const strategy = options.strategy ?? 'hash';
  const namespaces = options.namespaces ?? [];
  const concurrency = options.concurrency ?? 8;
  const metrics = new Metrics();
  // One pool for every API client: each request is counted (rest_client_*), and each answer teaches
  // the API server's clock, by which rounds stamp a Workflow's times (src/kube/server-clock.ts).
  const serverClock = new ServerClock();
  const kubeConfig = new PooledKubeConfig(loadKubeConfig(options.kubeConfig), Math.max(16, concurrency * 4), {
    requests: metrics.kubeClient,
    serverClock,
  });
  const clock = () => serverClock.now();
  /** Clients opened before the lifecycle starts, closed in reverse after it stopped. */
  const closers: Array<{ what: string; run: () => Promise<unknown> }> = [];
  let lifecycle: Lifecycle | undefined;
  const stopAll = async (graceMs: number) => {
    // Each failure was logged with its component's name; the clients still close.
    await lifecycle?.stop({ graceMs }).catch(() => undefined);
    for (const step of closers.reverse()) await bounded(step.what, step.run(), graceMs + 2000, log);
    closers.length = 0;
  };
  try {
    const tracing = await setupTracing({ serviceName: 'flotilla-controller' });
    closers.push({ what: 'tracing', run: () => tracing.shutdown() });
    closers.push({ what: 'connection pool', run: async () => kubeConfig.close() });

    const maxOutputBytes = options.maxOutputBytes ?? 1_000_000;
    // With a blob store, node data stays out of etcd: offloaded outputs, and pod tasks' outputs files.
    let dataStore: BlobStore | undefined;
    let outputs: OutputStore = new ConfigMapOutputStore({ kubeConfig, maxBytes: maxOutputBytes });
    if (options.outputBlobStoreUrl !== undefined) {
      const store = await openBlobStore(options.outputBlobStoreUrl);
      closers.push({ what: 'output blob store', run: () => store.close() });
      outputs = new BlobOutputStore({ store, maxBytes: maxOutputBytes });
      dataStore = store;
    }
    const inProcess = new Set(inProcessPlugins().map((plugin) => plugin.name));
    // In-process tasks only, no sub-workflows (a child Workflow would be outside the round): no Pods, nothing to abort outside.
    const inProcessOnly = (workflow: Workflow): boolean =>
      workflow.spec.subWorkflows === undefined &&
      Object.values(workflow.spec.tasks).every((task) => inProcess.has(task.plugin));
    // The fencing tokens: written by the Replica as shards start, read by the Pod and child Workflow gateways.
    const epochs = new ShardEpochs();
    const podGateway = new KubePodGateway({ kubeConfig, metrics, shardEpoch: (shard) => epochs.get(shard) });
    const podTemplates = new PodTemplateStore({
      kubeConfig,
      // The namespace strategy's RBAC is Roles in its namespaces (and the fleet's): watch those only.
      ...(strategy === 'namespace' ? { namespaces: [...namespaces, options.fleetNamespace ?? 'flotilla-system'] } : {}),
      onRestart: (reason) => metrics.informerRestarts.inc({ resource: 'podtemplates', shard: '', reason }),
      logger: log.child({ component: 'podtemplates' }),
    });
    const platform: PodPlatformOptions = {
      templates: podTemplates,
      controllerNamespace: options.fleetNamespace ?? 'flotilla-system',
      ...(options.pods?.defaultPodTemplate ? { defaultTemplate: options.pods.defaultPodTemplate } : {}),
      ...(options.pods?.interruptible ? { interruptible: options.pods.interruptible } : {}),
    };
    const plugins = new PluginRegistry([
      ...inProcessPlugins({ clock }),
      createPodPlugin({ gateway: podGateway, platform, ...(dataStore ? { store: dataStore } : {}) }),
    ]);
    const agents = options.agents ?? {};
    if (Object.keys(agents).length > 0) {
      // Loaded only when used, like the event sink's client, Flyte support and S3: gRPC, the
      // generated protobuf code and the AWS SDK are tens of MiB of a replica's RSS otherwise.
      const { createAgentPlugin } = await import('../plugins/agent/plugin.js');
      plugins.register(
        createAgentPlugin({
          services: Object.fromEntries(Object.entries(agents).map(([name, address]) => [name, { address }])),
        }),
      );
    }
    const catalogSettings = options.catalog ?? {};
    const catalogBackend = openCatalogBackend(catalogSettings, options.redis ?? parseRedisConfig(options.redisUrl));
    closers.push({ what: 'catalog', run: () => catalogBackend.close() });
    log.info({ catalog: describeCatalog(catalogSettings) }, 'task catalog');
    const catalogFor = (frontEnd: typeof nativeCatalogFrontEnd) =>
      new CatalogClient({
        backend: catalogBackend,
        frontEnd,
        onLookup: (result) => metrics.catalogLookups.inc({ result }),
        ...(catalogSettings.maxCacheAgeMs !== undefined ? { maxCacheAgeMs: catalogSettings.maxCacheAgeMs } : {}),
      });
    const engineOptions = {
      maxOutputBytes,
      ...(options.interruptibleFailureThreshold !== undefined
        ? { interruptibleFailureThreshold: options.interruptibleFailureThreshold }
        : {}),
      ...(catalogSettings.heartbeatMs !== undefined ? { cacheHeartbeatMs: catalogSettings.heartbeatMs } : {}),
    };
    const driver = new EngineDriver({
      plugins,
      outputs,
      clock,
      children: new KubeChildWorkflowGateway({ kubeConfig, outputs, shardEpoch: (shard) => epochs.get(shard) }),
      catalog: catalogFor(nativeCatalogFrontEnd),
      engine: engineOptions,
    });

    let publisher: EventPublisher | undefined;
    if (options.eventSink) {
      const { EventPublisher } = await import('../events/client.js');
      publisher = new EventPublisher({
        address: options.eventSink.address,
        ...(options.eventSink.security ? { security: options.eventSink.security } : {}),
        logger: log.child({ component: 'event-publisher' }),
        metrics: metrics.publisherEvents,
      });
      const p = publisher;
      closers.push({ what: 'event publisher', run: () => p.close(3000) });
      metrics.followExecutionEvents(() => ({ sent: p.stats.delivered, failed: p.stats.overflowed + p.stats.rejected }));
    }
    const recorder = new EventRecorder({
      kubeConfig,
      instance: replicaId,
      onSent: () => metrics.eventsSent.inc({ kind: 'kubernetes' }),
      onFailed: () => metrics.eventsFailed.inc({ kind: 'kubernetes' }),
      logger: log.child({ component: 'k8s-events' }),
    });
    const audit = options.auditLog ? new OwnershipAudit(options.auditLog, replicaId) : undefined;
    if (audit) closers.push({ what: 'audit', run: async () => audit.close() });

    let flyte: FlyteSupport | undefined;
    if (options.flyte) {
      // Loaded only with --flyte: the Flyte front end, and gRPC for FlyteAdmin only with an endpoint.
      const { openFlyteSupport } = await import('./flyte/support.js');
      const admin = options.flyte.admin
        ? await (
            await import('./flyte/admin-wiring.js')
          ).flyteAdminWiring(options.flyte.admin, {
            metrics,
            logger: log.child({ component: 'flyteadmin' }),
          })
        : undefined;
      if (admin) closers.push({ what: 'flyteadmin client', run: async () => admin.close() });
      flyte = await openFlyteSupport({
        kubeConfig,
        clock,
        blobStoreUrl: options.flyte.blobStoreUrl,
        shardCount: options.shardCount ?? 32,
        pods: podGateway,
        platform,
        maxOutputBytes,
        catalog: catalogFor(flyteCatalogFrontEnd),
        engine: engineOptions,
        recorder,
        metrics,
        logger: log.child({ component: 'flyte' }),
        ...(admin?.support ?? {}),
      });
      const opened = flyte;
      closers.push({ what: 'flyte blob store', run: () => opened.close() });
    }

    let canRun: (shard: number) => boolean = () => true;
    const replica = new Replica({
      kubeConfig,
      epochs,
      redisUrl: options.redisUrl,
      ...(options.redis ? { redis: options.redis } : {}),
      ...(strategy === 'namespace'
        ? {
            scopeOf: (shard: number) => ({
              strategy: 'namespace' as const,
              namespace: namespaces[shard] ?? `invalid-shard-${shard}`,
            }),
          }
        : {}),
      round: {
        driver,
        validate: validateWorkflow,
        ...(publisher ? { events: publisher } : {}),
        recorder,
        tracer: tracing.tracer,
        deferFinalizer: inProcessOnly,
        clock,
      },
      canRun: (shard) => canRun(shard),
      queue: { concurrency, clock },
      metrics,
      logger: log.child({ component: 'replica' }),
      ...(flyte ? { flyte } : {}),
      ...(audit
        ? {
            onRound: (phase: 'start' | 'end', shard: number, key: string, outcome?: RoundOutcome, provenAt?: number) =>
              audit.record(phase, shard, key, outcome, provenAt),
            onTasksStarted: (shard: number, key: string, started: readonly StartedTask[], uid: string | undefined) =>
              audit.recordTaskStarts(shard, key, started, uid),
          }
        : {}),
    });
    // Queue gauges at most 1 s old: a scrape costs two Redis calls per shard.
    collectQueueMetrics(replica, metrics, { maxAgeMs: 1000 });

    let http: ObservabilityServer | undefined;
    let readiness: () => true | string = () => replica.ready();
    const components: Component[] = [
      component({
        name: 'observability server',
        stage: 'server',
        start: async () => {
          http = await startObservabilityServer({
            metrics,
            host: options.metricsHost ?? '127.0.0.1',
            port: options.metricsPort ?? 9090,
            ready: () => {
              const state = lifecycle?.ready() ?? 'not started';
              return state === true ? readiness() : state;
            },
          });
        },
        stop: () => http?.stop(),
      }),
    ];
    components.push(podTemplates.component());
    if (options.installCrd)
      components.push(
        component({
          name: 'workflow CRD',
          stage: 'cache',
          start: () => installWorkflowCrd(kubeConfig, { timeoutMs: 30_000 }),
        }),
      );
    if (options.installFlyteCrd)
      components.push(
        component({
          name: 'flyteworkflow CRD',
          stage: 'cache',
          start: async () =>
            installWorkflowCrd(kubeConfig, {
              timeoutMs: 30_000,
              crd: (await import('../flyte/crd.js')).flyteWorkflowCrd(),
            }),
        }),
      );

    const plan = options.shards ?? { lease: true };
    // Static shards start with the Replica; in lease mode the ownership loop starts them.
    const staticShards = 'static' in plan ? plan.static : [];
    components.push(
      component({
        name: 'replica',
        stage: 'worker',
        start: async () => {
          try {
            for (const shard of staticShards) await replica.startShard(shard);
          } catch (error) {
            await replica.stop({ graceMs: 0 });
            throw error;
          }
        },
        stop: ({ graceMs }) => replica.stop({ graceMs }),
      }),
    );
    if ('lease' in plan) {
      const fleetNamespace = options.fleetNamespace ?? 'flotilla-system';
      const shardCount = strategy === 'namespace' ? namespaces.length : (options.shardCount ?? 32);
      // One lease cache for the member and whatever else joins the fleet from this process.
      const leases = new LeaseInformer({ kubeConfig, namespace: fleetNamespace });
      const member = new FleetMember({
        kubeConfig,
        replica,
        replicaId,
        fleetNamespace,
        source: leases,
        metrics,
        logger: log.child({ component: 'fleet-member' }),
      });
      canRun = (shard) => member.canRun(shard);
      readiness = () => member.ready();
      const fleet: FleetContext = { kubeConfig, leases, replicaId, fleetNamespace, shardCount, metrics, logger: log };
      components.push(leaseCacheComponent(leases), ...member.components, ...(plan.components?.(fleet) ?? []));
    }

    const janitor = new WorkflowJanitor({
      kubeConfig,
      source: replica,
      canRun: (shard) => canRun(shard),
      mayHavePods: (workflow) => !inProcessOnly(workflow),
      onWrite: (shard, stored) => replica.noteWrite(shard, stored),
      clock,
      ...(options.workflowTtlMs !== undefined ? { ttlMs: options.workflowTtlMs } : {}),
      ...(options.janitorIntervalMs !== undefined ? { intervalMs: options.janitorIntervalMs } : {}),
      logger: log.child({ component: 'janitor' }),
    });
    components.push(
      component({ name: 'janitor', stage: 'worker', start: () => janitor.start(), stop: () => janitor.stop() }),
    );

    lifecycle = new Lifecycle(components, { logger: log });
    await lifecycle.start();
    const metricsUrl = http?.url ?? '';

    let stopping: Promise<void> | undefined;
    return {
      replica,
      replicaId,
      metrics,
      metricsUrl,
      stop(graceMs = 10_000) {
        stopping ??= stopAll(graceMs);
        return stopping;
      },
    };
  } catch (error) {
    await stopAll(1000);
    throw error;
  }
}
