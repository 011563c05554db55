/**
 * The fault suite's fleet: the embedded API server (in this process, with a data directory so it
 * can be restarted on the same port and keep its objects), a real Redis (one server, a 3+3 Redis
 * Cluster or a Sentinel group: `redisMode`), the event sink, the shard
 * manager and N `flotilla controller` replicas as real processes. A scenario submits work, injects
 * faults through the methods here (each one is recorded with its time for the report), waits for
 * the work to settle and asks for the report, which runs the one invariants checker
 * (`sandbox/invariants.ts`) over what was recorded:
 *
 *  - final phases (listed from the API server) against what each workflow's spec implies,
 *  - every Pod create the API server answered, across API server restarts,
 *  - the replicas' ownership audits, with the times replicas died (a round cut by SIGKILL ran
 *    until the death),
 *  - the status history of every workflow in watch order (an informer in this process),
 *  - the event sink's stored events.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { installWorkflowCrd } from '../../src/controller/crd-install.js';
import { flyteWorkflowCrd } from '../../src/flyte/crd.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { fenceWebhookConfiguration } from '../../src/webhook/manifests.js';
import { isTerminalWorkflowPhase } from '../../src/api/status.js';
import type { NewWorkflow, Workflow } from '../../src/api/workflow.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import { startApiServer, type AuditEntry, type RunningApiServer } from '../../sandbox/apiserver/index.js';
import { installCrd, loadExamples, submitWorkflow, type Example } from '../../sandbox/examples.js';
import {
  checkInvariants,
  type FinalWorkflow,
  type OwnershipRecord,
  type TaskStartRecord,
} from '../../sandbox/invariants.js';
import { parseReplicaAudit } from '../../sandbox/audit-parse.js';
import { listStoredEvents, Observer } from '../../sandbox/observe.js';
import { startFlotilla, type FlotillaProcess } from '../support/fleet.js';
import calculateSlot from 'cluster-key-slot';
import { queuePrefix } from '../../src/controller/queue/index.js';
import { RedisServer } from '../support/redis.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { RedisSentinelGroup } from '../support/redis-sentinel.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { publishReport, scenarioOk, type Injection, type ScenarioReport } from './report.js';

export const FLEET_NAMESPACE = 'flotilla-system';
export const WORK_NAMESPACE = 'faults';
const examplesDir = join(import.meta.dirname, '..', '..', 'examples');

export interface FaultFleetOptions {
  /** Names the temp dir and the report. */
  scenario: string;
  /** @defaultValue 3 */
  replicas?: number;
  /** @defaultValue 8 */
  shardCount?: number;
  /** Redis with append-only persistence (a restart keeps its data; one server only). @defaultValue true */
  redisPersist?: boolean;
  /**
   * Which Redis: one server, a Redis Cluster of 3 masters and 3 replicas, or a Sentinel group of
   * 1 master, 2 replicas and 3 sentinels. @defaultValue 'single'
   */
  redisMode?: 'single' | 'cluster' | 'sentinel';
  /** Extra flags for every `flotilla controller`. */
  controllerArgs?: readonly string[];
  /**
   * FlyteWorkflows too: the Flyte CRD installed, a file:// blob store the kubelet's
   * pyflyte-execute stand-in and every replica (`--flyte --blob-store`) share. @defaultValue false
   */
  flyte?: boolean;
  /**
   * Runs `flotilla webhook` (a real process, its own CA) with the fence's configuration stored
   * (`flotilla-fence`, failure policy Ignore); `fence` passes `--fence`. Without `--fence` the
   * webhook answers `/fence` with 404, so the API server lets every write through: the fence off.
   * @defaultValue no webhook
   */
  webhook?: { fence: boolean };
  /** The event sink's store: `file` keeps its events across a restart. @defaultValue 'memory' */
  eventSinkStore?: 'memory' | 'file';
}

interface ReplicaSlot {
  name: string;
  process: FlotillaProcess | null;
  /** Set while the scenario itself stops or kills it, so the exit is not "unexpected". */
  expectingExit: boolean;
  /**
   * A replica run under libfaketime: the file its offset is read from. A replica stamps its audit
   * lines with the clock it had at process start (src/lifecycle/steady-clock.ts), so each process
   * start records where in the audit file its lines begin and the offset they carry.
   */
  clock?: { file: string; offsetSeconds: number; segments: { fromByte: number; offsetMs: number }[] };
}

/** libfaketime, installed by scripts/bootstrap.sh (Debian's `libfaketime`). */
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** A workload shape: the examples that end by themselves (no signals, no sleep longer than a run). */
export function workloadShapes(): Example[] {
  return loadExamples(examplesDir).filter((e) => Object.keys(e.signals).length === 0 && !/deadline/.test(e.file));
}

export class FaultFleet {
  readonly dir: string;
  readonly startedAt = Date.now();
  readonly injected: Injection[] = [];
  /** Replica name → death times (SIGKILL); the checker ends a cut round there. */
  readonly deaths: { replica: string; at: number }[] = [];
  readonly unexpectedExits: string[] = [];
  /** Keep the run's directory (audits, logs) after `stop`. */
  keepDir = false;
  kubeConfig!: KubeConfig;
  client!: WorkflowClient;
  redis: RedisServer | undefined;
  redisCluster: RedisCluster | undefined;
  redisSentinel: RedisSentinelGroup | undefined;
  eventSink!: FlotillaProcess;
  eventSinkAddress = '';
  manager!: FlotillaProcess;
  webhook: FlotillaProcess | undefined;
  private api!: RunningApiServer;
  private apiPort = 0;
  private readonly podAudit: AuditEntry[] = [];
  private readonly slots = new Map<string, ReplicaSlot>();
  private readonly proxies = new Map<string, { api: TcpProxy; redis: TcpProxy }>();
  private readonly expected = new Map<string, string>();
  private observer!: Observer;
  private nextReplica = 1;
  private readonly kubeconfigPath: string;
  private readonly dataDir: string;
  /** The blob store of FlyteWorkflows (`flyte` fleets only). */
  readonly blobStoreUrl: string | undefined;

  private constructor(readonly options: FaultFleetOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `flotilla-fault-${options.scenario}-`));
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
    this.dataDir = join(this.dir, 'apiserver');
    mkdirSync(join(this.dir, 'audit'), { recursive: true });
    if (options.flyte) this.blobStoreUrl = pathToFileURL(join(this.dir, 'blobs')).href;
  }

  static async start(options: FaultFleetOptions): Promise<FaultFleet> {
    const fleet = new FaultFleet(options);
    try {
      await fleet.boot();
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  private async boot(): Promise<void> {
    const mode = this.options.redisMode ?? 'single';
    const startRedis = async (): Promise<void> => {
      if (mode === 'cluster') this.redisCluster = await RedisCluster.start();
      else if (mode === 'sentinel') this.redisSentinel = await RedisSentinelGroup.start();
      else this.redis = await RedisServer.start({ persist: this.options.redisPersist ?? true });
    };
    await Promise.all([startRedis(), this.startApi(0)]);
    await installCrd({ url: this.api.url, token: this.api.token, caPem: this.api.caPem }, this.kubeConfig);
    if (this.blobStoreUrl !== undefined)
      await installWorkflowCrd(this.kubeConfig, { crd: flyteWorkflowCrd(), timeoutMs: 15_000 });
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    for (const ns of [FLEET_NAMESPACE, WORK_NAMESPACE])
      await core.createNamespace({ body: { metadata: { name: ns } } });
    if (this.options.webhook) await this.startWebhook(this.options.webhook.fence);
    this.eventSink = await this.startEventSink(0);
    this.eventSinkAddress = /listening on (\S+)/.exec(this.eventSink.stdout())?.[1] ?? '';
    this.manager = await startFlotilla(
      [
        'manager',
        '--kubeconfig',
        this.kubeconfigPath,
        '--fleet-namespace',
        FLEET_NAMESPACE,
        '--shard-count',
        String(this.shardCount),
        '--metrics-port',
        '0',
        '--log-level',
        'warn',
      ],
      /manager \S+ started/,
    );
    await Promise.all(Array.from({ length: this.options.replicas ?? 3 }, () => this.addReplica({ quiet: true })));
    this.observer = new Observer({ kubeConfig: this.kubeConfig });
    await this.observer.start();
  }

  private async startWebhook(fence: boolean): Promise<void> {
    const ca = await createCertificateAuthority({ commonName: 'fault-webhook-ca' });
    const serving = await issueCertificate(ca, {
      commonName: 'fault-webhook',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    const cert = join(this.dir, 'webhook.crt');
    const key = join(this.dir, 'webhook.key');
    writeFileSync(cert, serving.certPem);
    writeFileSync(key, serving.keyPem, { mode: 0o600 });
    this.webhook = await startFlotilla(
      [
        'webhook',
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--kubeconfig',
        this.kubeconfigPath,
        '--fleet-namespace',
        FLEET_NAMESPACE,
        '--shards',
        String(this.shardCount),
        '--log-level',
        'info',
        ...(fence ? ['--fence'] : []),
      ],
      /webhook listening on (https:\/\/\S+) /,
    );
    const url = /webhook listening on (https:\/\/\S+) /.exec(this.webhook.stdout())?.[1] ?? '';
    await this.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
      body: fenceWebhookConfiguration({ url, caBundlePem: ca.certPem }) as V1ValidatingWebhookConfiguration,
    });
  }

  get shardCount(): number {
    return this.options.shardCount ?? 8;
  }

  private async startApi(port: number): Promise<void> {
    this.api = await startApiServer({
      port,
      dataDir: this.dataDir,
      kubeconfigOut: this.kubeconfigPath,
      kubelet: true,
      ...(this.blobStoreUrl !== undefined ? { blobStoreUrl: this.blobStoreUrl } : {}),
    });
    this.apiPort = this.api.port;
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromString(this.api.kubeconfig);
    this.client = new WorkflowClient(this.kubeConfig);
  }

  /** The running API server's fault injector (a restart makes a new one). */
  get apiFaults(): RunningApiServer['faults'] {
    return this.api.faults;
  }

  /** Records an injection for the report. */
  inject(what: string): void {
    this.injected.push({ atSeconds: (Date.now() - this.startedAt) / 1000, what });
  }

  // ------------------------------------------------------------------------------------------
  // Replicas

  replicaNames(): string[] {
    return [...this.slots.values()].filter((s) => s.process !== null).map((s) => s.name);
  }

  replica(name: string): FlotillaProcess {
    const p = this.slots.get(name)?.process;
    if (!p) throw new Error(`replica ${name} is not running`);
    return p;
  }

  auditFile(name: string): string {
    return join(this.dir, 'audit', `${name}.jsonl`);
  }

  /**
   * Starts a replica (a new name unless `name` is given: a restart keeps its name). `proxied`: it
   * reaches the API server and Redis through TCP proxies of its own, which `cutApi`/`cutRedis` cut
   * (one Redis server only).
   */
  async addReplica(
    options: { name?: string; quiet?: boolean; proxied?: boolean; clockOffsetSeconds?: number } = {},
  ): Promise<string> {
    const name = options.name ?? `replica-${this.nextReplica++}`;
    const clock = this.replicaClock(name, options.clockOffsetSeconds);
    const logLevel = process.env['FLOTILLA_FAULT_LOG_LEVEL'] ?? 'warn';
    if (!options.quiet) this.inject(options.name ? `start ${name} again` : `scale out: start ${name}`);
    let kubeconfig = this.kubeconfigPath;
    let redisUrl = this.redisUrl;
    if (options.proxied) {
      const redisPort = this.redis?.port;
      if (redisPort === undefined) throw new Error('a proxied replica needs redisMode single');
      const proxies = {
        api: await TcpProxy.start('127.0.0.1', this.apiPort),
        redis: await TcpProxy.start('127.0.0.1', redisPort),
      };
      this.proxies.set(name, proxies);
      kubeconfig = join(this.dir, `kubeconfig-${name}`);
      writeFileSync(
        kubeconfig,
        readFileSync(this.kubeconfigPath, 'utf8').replace(
          `https://127.0.0.1:${this.apiPort}`,
          `https://127.0.0.1:${proxies.api.port}`,
        ),
      );
      redisUrl = `redis://127.0.0.1:${proxies.redis.port}`;
    }
    const replica = await startFlotilla(
      [
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--redis',
        redisUrl,
        '--replica-id',
        name,
        '--fleet-namespace',
        FLEET_NAMESPACE,
        '--shard-count',
        String(this.shardCount),
        '--metrics-port',
        '0',
        '--event-sink',
        this.eventSinkAddress,
        '--audit-log',
        this.auditFile(name),
        '--log-level',
        logLevel,
        ...(this.blobStoreUrl !== undefined ? ['--flyte', '--blob-store', this.blobStoreUrl] : []),
        ...(this.options.controllerArgs ?? []),
      ],
      new RegExp(`controller ${name} ready`),
      { timeoutMs: 60_000, ...(clock ? { env: fakeClockEnv(clock.file) } : {}) },
    );
    const slot: ReplicaSlot = { name, process: replica, expectingExit: false, ...(clock ? { clock } : {}) };
    this.slots.set(name, slot);
    void replica.exited.then((code) => {
      if (slot.process !== replica) return;
      slot.process = null;
      if (!slot.expectingExit) this.unexpectedExits.push(`${name} (${String(code)})`);
    });
    return name;
  }

  /**
   * The fake clock of a replica being started: a new one when `offsetSeconds` is given, the one it
   * had before on a restart. Its process's audit lines from here on carry the file's offset.
   */
  private replicaClock(name: string, offsetSeconds: number | undefined): ReplicaSlot['clock'] {
    const previous = this.slots.get(name)?.clock;
    if (offsetSeconds === undefined && previous === undefined) return undefined;
    const clock = previous ?? { file: join(this.dir, `clock-${name}`), offsetSeconds: 0, segments: [] };
    if (offsetSeconds !== undefined) {
      if (!existsSync(LIBFAKETIME))
        throw new Error(`a replica with a skewed clock needs ${LIBFAKETIME} (apt-get install libfaketime)`);
      clock.offsetSeconds = offsetSeconds;
      writeFileSync(clock.file, `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}\n`);
      this.inject(
        `${name} runs with its clock ${Math.abs(offsetSeconds)} s ${offsetSeconds >= 0 ? 'ahead' : 'behind'}`,
      );
    }
    const audit = this.auditFile(name);
    clock.segments.push({
      fromByte: existsSync(audit) ? statSync(audit).size : 0,
      offsetMs: clock.offsetSeconds * 1000,
    });
    return clock;
  }

  /**
   * Steps a running replica's wall clock by `deltaSeconds` (an NTP step): its `Date.now()` jumps;
   * its steady clock, which its ownership decisions and audit use, must not.
   */
  stepReplicaClock(name: string, deltaSeconds: number): void {
    const clock = this.slots.get(name)?.clock;
    if (!clock) throw new Error(`replica ${name} was not started with a fake clock (clockOffsetSeconds)`);
    clock.offsetSeconds += deltaSeconds;
    writeFileSync(clock.file, `${clock.offsetSeconds >= 0 ? '+' : ''}${clock.offsetSeconds}\n`);
    this.inject(`step ${name}'s wall clock ${deltaSeconds > 0 ? 'forward' : 'back'} ${Math.abs(deltaSeconds)} s`);
  }

  /** SIGKILLs the replicas at once and waits until they are gone. */
  async killReplicas(names: readonly string[]): Promise<void> {
    this.inject(`SIGKILL ${names.join(' and ')}`);
    const procs = names.map((name) => {
      const slot = this.slots.get(name);
      if (!slot?.process) throw new Error(`replica ${name} is not running`);
      slot.expectingExit = true;
      return { name, slot, process: slot.process };
    });
    for (const p of procs) p.process.signal('SIGKILL');
    for (const p of procs) {
      await p.process.exited;
      this.deaths.push({ replica: p.name, at: p.process.exitedAtMs() ?? Date.now() });
      p.slot.process = null;
      p.slot.expectingExit = false;
    }
  }

  private proxyOf(name: string): { api: TcpProxy; redis: TcpProxy } {
    const proxies = this.proxies.get(name);
    if (!proxies) throw new Error(`replica ${name} was not started proxied`);
    return proxies;
  }

  /** Cuts (or restores) `name`'s link to the API server only: Redis stays. */
  cutApi(name: string, cut: boolean): void {
    this.inject(`${cut ? 'cut' : 'restore'} ${name}'s link to the API server (Redis stays)`);
    const proxy = this.proxyOf(name).api;
    if (cut) proxy.cut();
    else proxy.restore();
  }

  /** Cuts (or restores) `name`'s link to Redis only: the API server stays. */
  cutRedis(name: string, cut: boolean): void {
    this.inject(`${cut ? 'cut' : 'restore'} ${name}'s link to Redis (the API server stays)`);
    const proxy = this.proxyOf(name).redis;
    if (cut) proxy.cut();
    else proxy.restore();
  }

  /** SIGKILLs the shard manager (its lease is left to expire). */
  async killManager(): Promise<void> {
    this.inject('SIGKILL the shard manager (leader)');
    this.manager.signal('SIGKILL');
    await this.manager.exited;
  }

  /** Starts a shard manager (a new candidate: it takes the manager lease once the old one expired). */
  async startManager(): Promise<void> {
    this.inject('start a new shard manager');
    this.manager = await startFlotilla(
      [
        'manager',
        '--kubeconfig',
        this.kubeconfigPath,
        '--fleet-namespace',
        FLEET_NAMESPACE,
        '--shard-count',
        String(this.shardCount),
        '--metrics-port',
        '0',
        '--log-level',
        'warn',
      ],
      /manager \S+ started/,
    );
  }

  /** Stops the event sink (SIGTERM), waits `downMs`, starts it again on its address (with its store). */
  async restartEventSink(options: { downMs: number }): Promise<void> {
    this.inject(`event sink down (SIGTERM); back after ${options.downMs} ms on the same address`);
    await this.eventSink.stop(10_000);
    await sleep(options.downMs);
    this.eventSink = await this.startEventSink(Number(this.eventSinkAddress.split(':').pop()));
    this.inject('event sink back');
  }

  private startEventSink(port: number): Promise<FlotillaProcess> {
    const store = this.options.eventSinkStore === 'file' ? `file:${join(this.dir, 'events.jsonl')}` : 'memory';
    return startFlotilla(
      ['event-sink', '--port', String(port), '--store', store, '--kubeconfig', this.kubeconfigPath],
      /listening on (\S+)/,
    );
  }

  pauseReplica(name: string): void {
    this.inject(`SIGSTOP ${name}`);
    this.replica(name).signal('SIGSTOP');
  }

  resumeReplica(name: string): void {
    this.inject(`SIGCONT ${name}`);
    this.replica(name).signal('SIGCONT');
  }

  /** SIGTERM: a planned stop (the replica hands its shards over before it exits). */
  async stopReplica(name: string, options: { quiet?: boolean } = {}): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot?.process) throw new Error(`replica ${name} is not running`);
    if (!options.quiet) this.inject(`scale in: SIGTERM ${name}`);
    slot.expectingExit = true;
    const code = await slot.process.stop(30_000);
    slot.process = null;
    slot.expectingExit = false;
    if (code !== 0) this.unexpectedExits.push(`${name} stopped with ${String(code)}`);
  }

  /** A rolling restart's step: SIGTERM, wait for the exit, start it again under the same name. */
  async restartReplica(name: string): Promise<void> {
    this.inject(`rolling restart: ${name}`);
    await this.stopReplica(name, { quiet: true });
    await this.addReplica({ name, quiet: true });
  }

  // ------------------------------------------------------------------------------------------
  // Redis and the API server

  /** The `--redis` URL of the replicas. */
  get redisUrl(): string {
    const url = this.redis?.url ?? this.redisCluster?.url ?? this.redisSentinel?.url;
    if (!url) throw new Error('no Redis started');
    return url;
  }

  /** SIGKILLs Redis, waits `downMs`, starts it again on its port (`wipe`: without its data). One server only. */
  async restartRedis(options: { wipe: boolean; downMs?: number }): Promise<void> {
    const redis = this.redis;
    if (!redis) throw new Error('restartRedis needs redisMode single');
    this.inject(
      `SIGKILL Redis; restart after ${options.downMs ?? 0} ms ${options.wipe ? 'WITHOUT its data' : 'with its data (append-only file)'}`,
    );
    await redis.kill();
    if (options.downMs) await sleep(options.downMs);
    await redis.restart({ wipe: options.wipe });
  }

  /** Cluster: SIGKILLs the master serving `shard`'s queue and waits until a replica took its slots. */
  async killClusterMaster(shard = 0): Promise<void> {
    const cluster = this.redisCluster;
    if (!cluster) throw new Error('killClusterMaster needs redisMode cluster');
    const slot = calculateSlot(queuePrefix(shard));
    const victim = await cluster.masterOf(slot);
    this.inject(`SIGKILL the Redis Cluster master ${victim} (slot ${slot}: shard ${shard}'s queue)`);
    await cluster.kill(victim);
    await waitUntil(async () => (await cluster.masterOf(slot).catch(() => victim)) !== victim, 30_000);
    this.inject(`its replica ${await cluster.masterOf(slot)} promoted`);
  }

  /** Cluster: moves every slot of the master serving `shard`'s queue to another master (redis-cli --cluster reshard). */
  async reshardCluster(shard = 0): Promise<void> {
    const cluster = this.redisCluster;
    if (!cluster) throw new Error('reshardCluster needs redisMode cluster');
    const slot = calculateSlot(queuePrefix(shard));
    const source = await cluster.masterOf(slot);
    const target = (await cluster.roles()).find((n) => n.role === 'master' && n.port !== source)?.port;
    if (target === undefined) throw new Error('no other master');
    this.inject(`reshard: every slot of master ${source} (shard ${shard}'s queue among them) migrates to ${target}`);
    await cluster.reshard(source, target, 16384);
    this.inject('reshard done');
  }

  /** Sentinel: SIGKILLs the master (`kill`) or asks for `SENTINEL FAILOVER`; waits for the new master. */
  async sentinelFailover(options: { kill: boolean }): Promise<void> {
    const group = this.redisSentinel;
    if (!group) throw new Error('sentinelFailover needs redisMode sentinel');
    const old = await group.masterPort();
    this.inject(options.kill ? `SIGKILL the Sentinel group's master ${old}` : `SENTINEL FAILOVER (master ${old})`);
    if (options.kill) await group.killMaster();
    else await group.failover();
    this.inject(`new master ${await group.waitNewMaster(old)}`);
  }

  /** Stops the API server (every connection cut), waits `downMs`, starts it on the same port with its data directory. */
  async restartApiServer(options: { downMs?: number } = {}): Promise<void> {
    this.inject(
      `API server stopped; restarted after ${options.downMs ?? 0} ms with its data directory (watch history lost: 410 on resume)`,
    );
    this.podAudit.push(...this.api.faults.audit({ resource: 'pods', verb: 'create' }));
    await this.api.stop();
    if (options.downMs) await sleep(options.downMs);
    await this.startApi(this.apiPort);
  }

  // ------------------------------------------------------------------------------------------
  // Work

  /** Registers a workflow the checker must see end in `phase`. */
  expect(namespace: string, name: string, phase: string): void {
    this.expected.set(`${namespace}/${name}`, phase);
  }

  /**
   * Submits `count` copies of the examples' shapes, `ratePerSecond` at a time, named
   * `<prefix>-<n>`; each is expected to end in its example's phase. Resolves when all are in.
   * Submission retries through faults (a partition, a restart), as a client would.
   */
  async submitExamples(options: {
    count: number;
    ratePerSecond?: number;
    prefix?: string;
    /** @defaultValue WORK_NAMESPACE */
    namespace?: string;
  }): Promise<void> {
    const namespace = options.namespace ?? WORK_NAMESPACE;
    const shapes = workloadShapes();
    const prefix = options.prefix ?? 'wf';
    const interval = 1000 / (options.ratePerSecond ?? 10);
    const start = Date.now();
    for (let n = 0; n < options.count; n++) {
      const wait = start + n * interval - Date.now();
      if (wait > 0) await sleep(wait);
      const shape = shapes[n % shapes.length];
      if (!shape) throw new Error('no workload shapes in examples/');
      const workflow: NewWorkflow = {
        ...shape.workflow,
        metadata: {
          name: `${prefix}-${n}`,
          namespace,
          labels: { ...shape.workflow.metadata.labels, 'flotilla.io/fault-shape': shape.file.replace(/\.yaml$/, '') },
          annotations: { ...shape.workflow.metadata.annotations },
        },
      };
      await this.withRetries(`submit ${workflow.metadata.name}`, () => submitWorkflow(this.client, workflow));
      this.expect(namespace, workflow.metadata.name, shape.expectedPhase);
    }
  }

  private async withRetries<T>(what: string, run: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await run();
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms`, { cause: error });
        await sleep(500);
      }
    }
  }

  /** Stops expecting the workflows of `namespace` (deleted with it): returns their keys. */
  forgetNamespace(namespace: string): string[] {
    const keys = [...this.expected.keys()].filter((key) => key.startsWith(`${namespace}/`));
    for (const key of keys) this.expected.delete(key);
    return keys;
  }

  /** The expected workflows not yet terminal (by the observer's informer). */
  pending(): string[] {
    return [...this.expected.keys()].filter((key) => !isTerminalWorkflowPhase(this.observer.workflows.get(key)?.phase));
  }

  /** Waits until every expected workflow is terminal, or `timeoutMs`; returns how many are still pending. */
  async settle(timeoutMs = 90_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending().length > 0 && Date.now() < deadline) await sleep(500);
    return this.pending().length;
  }

  /**
   * Waits until the event sink holds a workflow-scope event in its final phase for every expected
   * workflow that is terminal (re-delivery after a sink outage takes a few retry periods), or
   * `timeoutMs`; returns how many still lack it.
   */
  async eventsDelivered(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const keys = [...this.expected.keys()];
      const events = await listStoredEvents(this.eventSinkAddress, keys).catch(() => []);
      const ended = new Set(
        events
          .filter((e) => e.scope === 'workflow' && isTerminalWorkflowPhase(e.phase))
          .map((e) => `${e.namespace}/${e.name}`),
      );
      const missing = keys.filter((key) => !ended.has(key)).length;
      if (missing === 0 || Date.now() > deadline) return missing;
      await sleep(1_000);
    }
  }

  /** Replica processes that exited by themselves so far. */
  replicaRestarts(): string[] {
    return [...this.unexpectedExits];
  }

  // ------------------------------------------------------------------------------------------
  // The report

  async report(notes: string[] = []): Promise<ScenarioReport> {
    await sleep(1_000); // the last events reach the sink
    const listed = (await this.withRetries('list workflows', () => this.client.list())).items;
    const byKey = new Map<string, Workflow>(listed.map((w) => [`${w.metadata.namespace}/${w.metadata.name}`, w]));
    const workflows: FinalWorkflow[] = [...this.expected].map(([key, expectedPhase]) => {
      const [namespace = '', name = ''] = key.split('/');
      const found = byKey.get(key);
      return { namespace, name, expectedPhase, phase: found ? (found.status?.phase ?? '(no status)') : null };
    });
    const phases: Record<string, number> = {};
    for (const w of workflows) {
      const phase = w.phase ?? (byKey.has(`${w.namespace}/${w.name}`) ? 'no status' : 'missing');
      phases[phase] = (phases[phase] ?? 0) + 1;
    }
    const ownership: OwnershipRecord[] = [];
    const taskStarts: TaskStartRecord[] = [];
    for (const name of this.slots.keys()) {
      const file = this.auditFile(name);
      if (!existsSync(file)) continue;
      const audit = readReplicaAudit(readFileSync(file), this.slots.get(name)?.clock?.segments);
      ownership.push(...audit.ownership);
      taskStarts.push(...audit.taskStarts);
    }
    const podCreates = [...this.podAudit, ...this.api.faults.audit({ resource: 'pods', verb: 'create' })].map((e) => ({
      namespace: e.namespace,
      name: e.name,
      code: e.code,
    }));
    const events = await listStoredEvents(this.eventSinkAddress, [...this.expected.keys()]);
    const invariants = checkInvariants({
      workflows,
      podCreates,
      ownership,
      history: this.observer.history,
      events,
      deaths: this.deaths,
      taskStarts,
    });
    return {
      scenario: this.options.scenario,
      injected: [...this.injected],
      phases,
      submitted: this.expected.size,
      invariants,
      unexpectedExits: [...this.unexpectedExits],
      durationSeconds: (Date.now() - this.startedAt) / 1000,
      notes,
    };
  }

  async stop(): Promise<void> {
    const keep = this.keepDir || process.env['FLOTILLA_KEEP_FAULT_DIRS'] === '1';
    if (keep) {
      mkdirSync(join(this.dir, 'logs'), { recursive: true });
      const procs: [string, FlotillaProcess | null | undefined][] = [
        ['manager', this.manager],
        ['event-sink', this.eventSink],
        ['webhook', this.webhook],
        ...[...this.slots.values()].map((s): [string, FlotillaProcess | null] => [s.name, s.process]),
      ];
      for (const [name, p] of procs)
        if (p) writeFileSync(join(this.dir, 'logs', `${name}.log`), `${p.stdout()}\n--- stderr ---\n${p.stderr()}`);
      process.stdout.write(`# fault run kept in ${this.dir}\n`);
    }
    await this.observer?.stop().catch(() => undefined);
    for (const slot of this.slots.values()) slot.expectingExit = true;
    await Promise.all([...this.slots.values()].map((s) => s.process?.stop(10_000)));
    await Promise.all([this.manager?.stop(10_000), this.eventSink?.stop(10_000), this.webhook?.stop(10_000)]);
    await Promise.all([...this.proxies.values()].flatMap((p) => [p.api.stop(), p.redis.stop()]));
    await Promise.all([
      this.api?.stop().catch(() => undefined),
      this.redis?.stop().catch(() => undefined),
      this.redisCluster?.stop().catch(() => undefined),
      this.redisSentinel?.stop().catch(() => undefined),
    ]);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ScenarioOptions extends FaultFleetOptions {
  /** How long the work may take to settle after the body returns. @defaultValue 90000 */
  settleMs?: number;
}

/**
 * Runs one scenario: starts the fleet, runs `body` (submit work, inject faults; it may return
 * notes for the report), waits for the work to settle, checks the invariants, prints the report
 * and stops everything. Returns the report; the caller asserts on it.
 */
export async function runScenario(
  options: ScenarioOptions,
  body: (fleet: FaultFleet) => Promise<string[] | void>,
): Promise<ScenarioReport> {
  const fleet = await FaultFleet.start(options);
  try {
    const notes = (await body(fleet)) ?? [];
    const left = await fleet.settle(options.settleMs ?? 90_000);
    if (left > 0)
      notes.push(
        `${left} workflows were not terminal after the settle timeout: ${fleet.pending().slice(0, 5).join(', ')}`,
      );
    const report = await fleet.report(notes);
    publishReport(report);
    // A failed scenario keeps its audit files and process logs for the post-mortem.
    if (!scenarioOk(report)) fleet.keepDir = true;
    return report;
  } finally {
    await fleet.stop();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** The environment that runs a process under libfaketime, its offset read from `file`. */
function fakeClockEnv(file: string): NodeJS.ProcessEnv {
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: file,
    // Re-read the file at most once a second, so a step lands while the process runs.
    FAKETIME_CACHE_DURATION: '1',
    // Only the wall clock is skewed: a machine's monotonic clock has no date to be wrong about.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/**
 * A replica's audit with its times on the test's clock: each segment (one process's lines) is
 * shifted back by the offset that process's clock had.
 */
function readReplicaAudit(
  bytes: Buffer,
  segments: readonly { fromByte: number; offsetMs: number }[] | undefined,
): { ownership: OwnershipRecord[]; taskStarts: TaskStartRecord[] } {
  if (!segments || segments.length === 0) return parseReplicaAudit(bytes.toString('utf8'));
  const ownership: OwnershipRecord[] = [];
  const taskStarts: TaskStartRecord[] = [];
  const shift = (at: number | string, offsetMs: number): number =>
    (typeof at === 'number' ? at : Date.parse(at)) - offsetMs;
  segments.forEach((segment, i) => {
    const text = bytes.subarray(segment.fromByte, segments[i + 1]?.fromByte ?? bytes.length).toString('utf8');
    const audit = parseReplicaAudit(text);
    for (const r of audit.ownership)
      ownership.push({
        ...r,
        at: shift(r.at, segment.offsetMs),
        ...(r.provenAt !== undefined ? { provenAt: r.provenAt - segment.offsetMs } : {}),
      });
    for (const r of audit.taskStarts) taskStarts.push({ ...r, at: shift(r.at, segment.offsetMs) });
  });
  return { ownership, taskStarts };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
