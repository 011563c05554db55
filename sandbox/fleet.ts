/**
 * The sandbox's processes after the API server: Redis (unless one was given: one server, or with
 * `redisMode` a 3-master, 3-replica Cluster or a Sentinel group of 1 master, 2 replicas and 3
 * sentinels, launched by sandbox/redis as the tests launch theirs), the event sink, the
 * example agent, the shard manager and N replicas — started in that order, stopped in reverse.
 * Replicas are supervised: one that dies (chaos, or a crash) is shown dead and restarted under the
 * same name after `restartDelayMs`. Every PID change rewrites `sandbox.json` through `onChange`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnProcess, type ManagedProcess, type ProcessSpec } from './processes.js';
import { RedisCluster } from './redis/cluster.js';
import { RedisSentinelGroup } from './redis/sentinel.js';

/** Which Redis the sandbox starts: one server, a Redis Cluster, or a Sentinel group. */
export type SandboxRedisMode = 'single' | 'cluster' | 'sentinel';

/** The `flotilla` entry point of this checkout (the sandbox runs from a checkout only). */
export function flotillaBin(): string {
  const path = fileURLToPath(new URL('../bin/flotilla.mjs', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} not found next to the sandbox sources`);
  return path;
}

export interface FleetOptions {
  stateDir: string;
  kubeconfigPath: string;
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
  /**
   * The Redis to start when none is given: one server, a Cluster of 3 masters and 3 replicas
   * (`<stateDir>/redis-cluster`), or 1 master, 2 replicas and 3 sentinels (`<stateDir>/redis-sentinel`);
   * their logs in `<stateDir>/logs/redis-<port>.log`. @defaultValue 'single'
   */
  redisMode?: SandboxRedisMode;
  /** @defaultValue 3 */
  replicas?: number;
  /** @defaultValue 16 */
  shardCount?: number;
  /** @defaultValue 'flotilla-system' */
  fleetNamespace?: string;
  /** Delay before a dead replica is started again. @defaultValue 3000 */
  restartDelayMs?: number;
  /** Pass `--audit-log` to replicas (ownership audit for the invariant checker). @defaultValue true */
  auditLogs?: boolean;
  /** Replicas also run FlyteWorkflows with this blob store (`--flyte --blob-store`). @defaultValue undefined (off) */
  flyteBlobStoreUrl?: string;
  /** More `flotilla controller` flags for every replica (the sandbox's recording admin). @defaultValue [] */
  replicaArgs?: readonly string[];
  /** Called whenever a PID or endpoint changes. */
  onChange?: () => void;
  /** Something worth showing happened (a replica died, restarted). */
  onEvent?: (message: string) => void;
}

export interface ReplicaInfo {
  name: string;
  process: ManagedProcess | null;
  metrics: string | null;
  auditLog: string | null;
  restarts: number;
}

/** Parses the metrics URL out of a ready line (`... (metrics http://H:P)`). */
function metricsFrom(match: RegExpMatchArray): string | null {
  const m = /metrics (https?:\/\/[^\s)]+)/.exec(match.input ?? match[0]);
  return m?.[1] ?? null;
}

export class Fleet {
  readonly replicaInfos: ReplicaInfo[] = [];
  redis: ManagedProcess | null = null;
  /** The Cluster or Sentinel group started in those modes. */
  redisGroup: RedisCluster | RedisSentinelGroup | null = null;
  redisUrl = '';
  eventSink: ManagedProcess | null = null;
  eventSinkAddress: string | null = null;
  agent: ManagedProcess | null = null;
  agentAddress: string | null = null;
  manager: ManagedProcess | null = null;
  managerMetrics: string | null = null;
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Restarts still waiting for their ready line: `stop` must wait for them, or they outlive it. */
  private readonly starting = new Set<Promise<void>>();
  private readonly bin = flotillaBin();
  readonly shardCount: number;
  readonly fleetNamespace: string;

  constructor(private readonly options: FleetOptions) {
    this.shardCount = options.shardCount ?? 16;
    this.fleetNamespace = options.fleetNamespace ?? 'flotilla-system';
  }

  private flotilla(name: string, args: string[], ready: RegExp): ProcessSpec {
    return {
      name,
      command: process.execPath,
      args: [this.bin, ...args],
      ready,
      logFile: join(this.options.stateDir, 'logs', `${name}.log`),
    };
  }

  private changed(): void {
    this.options.onChange?.();
  }

  /** The mode of the Redis started (or given: read from its URL). */
  get redisMode(): SandboxRedisMode {
    if (!this.options.redisUrl) return this.options.redisMode ?? 'single';
    return /^rediss?\+cluster:/.test(this.redisUrl)
      ? 'cluster'
      : /^rediss?\+sentinel:/.test(this.redisUrl)
        ? 'sentinel'
        : 'single';
  }

  /** PIDs of every Redis process the sandbox started (none when one was given). */
  get redisPids(): number[] {
    if (this.redisGroup) return this.redisGroup.pids;
    return this.redis?.running() ? [this.redis.pid] : [];
  }

  /** Starts Redis (unless one was given). */
  async startRedis(): Promise<void> {
    const mode = this.options.redisMode ?? 'single';
    const logDir = join(this.options.stateDir, 'logs');
    if (this.options.redisUrl) {
      this.redisUrl = this.options.redisUrl;
    } else if (mode === 'cluster') {
      const cluster = await RedisCluster.start({
        dir: join(this.options.stateDir, 'redis-cluster'),
        logDir,
        detached: true,
      });
      this.redisGroup = cluster;
      this.redisUrl = cluster.url;
    } else if (mode === 'sentinel') {
      const group = await RedisSentinelGroup.start({
        dir: join(this.options.stateDir, 'redis-sentinel'),
        logDir,
        detached: true,
      });
      this.redisGroup = group;
      this.redisUrl = group.url;
    } else {
      const port = await freePort();
      const dir = join(this.options.stateDir, 'redis');
      mkdirSync(dir, { recursive: true });
      this.redis = await spawnProcess({
        name: 'redis',
        command: 'redis-server',
        args: [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
          '--protected-mode',
          'yes',
          '--daemonize',
          'no',
        ],
        ready: /Ready to accept connections/,
        logFile: join(this.options.stateDir, 'logs', 'redis.log'),
      });
      this.redisUrl = `redis://127.0.0.1:${port}`;
    }
    this.changed();
  }

  /** Starts the event sink (with the SignalService) and the example agent. */
  async startServices(): Promise<void> {
    this.eventSink = await spawnProcess(
      this.flotilla(
        'event-sink',
        ['event-sink', '--port', '0', '--store', 'memory', '--kubeconfig', this.options.kubeconfigPath],
        /listening on (\S+)/,
      ),
    );
    this.eventSinkAddress = this.eventSink.match[1] ?? null;
    this.changed();
    this.agent = await spawnProcess(this.flotilla('agent', ['example-agent', '--port', '0'], /listening on (\S+)/));
    this.agentAddress = this.agent.match[1] ?? null;
    this.changed();
  }

  /** Starts the manager and the replicas. */
  async startFleet(): Promise<void> {
    this.manager = await spawnProcess(
      this.flotilla(
        'manager',
        [
          'manager',
          '--kubeconfig',
          this.options.kubeconfigPath,
          '--fleet-namespace',
          this.fleetNamespace,
          '--shard-count',
          String(this.shardCount),
          '--metrics-port',
          '0',
        ],
        /manager \S+ started/,
      ),
    );
    this.managerMetrics = metricsFrom(this.manager.match);
    this.watchManager(this.manager);
    this.changed();
    const n = this.options.replicas ?? 3;
    if (this.options.auditLogs !== false) mkdirSync(join(this.options.stateDir, 'audit'), { recursive: true });
    for (let i = 1; i <= n; i++) {
      this.replicaInfos.push({
        name: `replica-${i}`,
        process: null,
        metrics: null,
        auditLog: this.options.auditLogs === false ? null : join(this.options.stateDir, 'audit', `replica-${i}.jsonl`),
        restarts: 0,
      });
    }
    await Promise.all(this.replicaInfos.map((info) => this.startReplica(info)));
  }

  private watchManager(manager: ManagedProcess): void {
    void manager.exited.then((info) => {
      if (this.stopping) return;
      this.options.onEvent?.(`manager exited (code ${info.code}, signal ${info.signal})`);
    });
  }

  private startReplica(info: ReplicaInfo): Promise<void> {
    const started = this.launchReplica(info);
    const tracked = started.then(
      () => undefined,
      () => undefined,
    );
    this.starting.add(tracked);
    void tracked.then(() => this.starting.delete(tracked));
    return started;
  }

  private async launchReplica(info: ReplicaInfo): Promise<void> {
    const args = [
      'controller',
      '--kubeconfig',
      this.options.kubeconfigPath,
      '--redis',
      this.redisUrl,
      '--replica-id',
      info.name,
      '--fleet-namespace',
      this.fleetNamespace,
      '--shard-count',
      String(this.shardCount),
      '--metrics-port',
      '0',
    ];
    if (this.eventSinkAddress) args.push('--event-sink', this.eventSinkAddress);
    if (this.agentAddress) args.push('--agent', `notifier=${this.agentAddress}`);
    if (info.auditLog) args.push('--audit-log', info.auditLog);
    if (this.options.flyteBlobStoreUrl) args.push('--flyte', '--blob-store', this.options.flyteBlobStoreUrl);
    args.push(...(this.options.replicaArgs ?? []));
    const proc = await spawnProcess({
      ...this.flotilla(info.name, args, /controller \S+ ready/),
      readyTimeoutMs: 60_000,
    });
    if (this.stopping) {
      // `stop` began while this one was starting: it would otherwise run on with nobody to stop it.
      await proc.stop();
      return;
    }
    info.process = proc;
    info.metrics = metricsFrom(proc.match);
    this.changed();
    void proc.exited.then((exit) => {
      if (info.process !== proc) return;
      info.process = null;
      this.changed();
      if (this.stopping) return;
      this.options.onEvent?.(`${info.name} died (${exit.signal ?? `code ${exit.code}`})`);
      this.scheduleRestart(info);
    });
  }

  private scheduleRestart(info: ReplicaInfo): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      info.restarts++;
      this.startReplica(info).then(
        () => this.options.onEvent?.(`${info.name} restarted`),
        (error: unknown) => {
          this.options.onEvent?.(
            `${info.name} did not restart: ${error instanceof Error ? error.message : String(error)}`,
          );
          if (!this.stopping) this.scheduleRestart(info);
        },
      );
    }, this.options.restartDelayMs ?? 3_000);
    this.timers.add(timer);
  }

  /** SIGKILLs a replica (chaos); the supervisor restarts it. Returns false when it was not running. */
  killReplica(name: string): boolean {
    const info = this.replicaInfos.find((r) => r.name === name);
    if (!info?.process?.running()) return false;
    info.process.kill('SIGKILL');
    return true;
  }

  liveReplicaNames(): string[] {
    return this.replicaInfos.filter((r) => r.process?.running()).map((r) => r.name);
  }

  /** Stops replicas, then the manager, the agent, the event sink and Redis (reverse start order). */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.starting]);
    await Promise.all(
      this.replicaInfos.map(async (info) => {
        const proc = info.process;
        if (proc) await proc.stop(graceMs);
      }),
    );
    for (const proc of [this.manager, this.agent, this.eventSink, this.redis]) {
      if (proc) await proc.stop(graceMs);
    }
    await this.redisGroup?.stop();
    this.changed();
  }
}
